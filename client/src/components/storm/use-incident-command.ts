/**
 * Sending one storm command about an incident from a console widget: a fresh idempotency key,
 * the version the officer saw (compare-and-set: a stale view gets E_CONFLICT, never a silent
 * overwrite), a busy flag and the server's answer as a message.
 */
import { ref } from 'vue';
import type { Incident } from '@scenes/domain';
import type { Command, CommandResult } from '@scenes/protocol';
import { newCommandId } from '../../data/incidents';
import { st } from './messages';

type IncidentCommandBody<C = Command> = C extends { incidentId: string } ? Omit<C, 'commandId' | 'incidentId' | 'expectedVersion'> : never;

export function useIncidentCommand(getIncident: () => Pick<Incident, 'id' | 'version'>, send: () => (command: Command) => Promise<CommandResult>) {
  const busy = ref(false);
  const message = ref<{ kind: 'ok' | 'error'; text: string } | null>(null);

  async function run(body: IncidentCommandBody, versioned = true): Promise<CommandResult | null> {
    if (busy.value) return null;
    const incident = getIncident();
    busy.value = true;
    message.value = null;
    try {
      const command = {
        ...body,
        commandId: newCommandId('o'),
        incidentId: incident.id,
        ...(versioned ? { expectedVersion: incident.version } : {}),
      } as Command;
      const r = await send()(command);
      message.value = r.ok ? { kind: 'ok', text: st('storm.done') } : { kind: 'error', text: st('storm.error', { message: r.error.message }) };
      return r;
    } finally {
      busy.value = false;
    }
  }

  return { busy, message, run };
}
