/**
 * Contingency plans as people see them: the open instances in their scope (replaced whole by
 * each `plans` push or `plans:list` answer), the newest command's outcome per instance, and the
 * plan commands. Shared by the wall's banner, the briefing's list and the console's panel; bound
 * to the page's live connection while at least one of them is mounted (ref-counted).
 *
 * Invariant: a command id is made once per click (crypto.randomUUID) and reused if the same
 * click is retried, so the server applies it at most once.
 */
import { defineStore } from 'pinia';
import { computed, shallowRef } from 'vue';
import type { IocError } from '@scenes/protocol';
import type { PlanCommand, PlanInstanceView, PlansMessage } from '@scenes/plans/plan-protocol';
import { currentLiveConnection, type LiveTransport } from '../connection';
import { fetchPlans, planBanner, sendPlanCommand, subscribePlans, type PlanCommandAnswer } from '../data/plans';

/** A command without its idempotency key: the store adds it. */
export type PlanCommandInput = PlanCommand extends infer C ? (C extends PlanCommand ? Omit<C, 'commandId'> : never) : never;

export const usePlanStore = defineStore('plans', () => {
  const instances = shallowRef<readonly PlanInstanceView[]>([]);
  /** epoch ms (server clock) of the list shown */
  const ts = shallowRef(0);
  /** instance id (or plan id for a proposal) → the newest refusal to show */
  const errors = shallowRef<ReadonlyMap<string, IocError>>(new Map());
  /** instance/plan ids with a command on its way */
  const busy = shallowRef<ReadonlySet<string>>(new Set());
  let transport: LiveTransport | null = null;
  let unbind: (() => void) | null = null;
  let users = 0;

  const active = computed(() => instances.value.filter((v) => v.instance.state === 'active'));
  const proposed = computed(() => instances.value.filter((v) => v.instance.state === 'proposed'));
  const banner = computed(() => planBanner(instances.value));

  function put(msg: PlansMessage): void {
    if (msg.ts < ts.value) return;
    ts.value = msg.ts;
    instances.value = msg.instances;
  }

  async function load(): Promise<void> {
    if (!transport) return;
    const r = await fetchPlans(transport);
    if (r.ok) put(r.msg);
  }

  /** Follow `t` (default: the page's live connection). Returns the release; the last release unbinds. */
  function bind(t: LiveTransport | null = currentLiveConnection()): () => void {
    users++;
    if (t && t !== transport) {
      unbind?.();
      transport = t;
      const offPush = subscribePlans(t, put);
      // pushes missed while away are not replayed: ask again
      const offConnect = t.onConnect(() => void load());
      unbind = () => {
        offPush();
        offConnect();
      };
      if (t.getStatus().state === 'connected') void load();
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      users--;
      if (users > 0) return;
      unbind?.();
      unbind = null;
      transport = null;
    };
  }

  function setError(key: string, error: IocError | null): void {
    const next = new Map(errors.value);
    if (error) next.set(key, error);
    else next.delete(key);
    errors.value = next;
  }

  function setBusy(key: string, on: boolean): void {
    const next = new Set(busy.value);
    if (on) next.add(key);
    else next.delete(key);
    busy.value = next;
  }

  /** Sends one plan command; the answer's instance replaces the listed one. */
  async function send(input: PlanCommandInput): Promise<PlanCommandAnswer> {
    const key = 'instanceId' in input ? input.instanceId : input.planId;
    const command = { ...input, commandId: globalThis.crypto.randomUUID() } as PlanCommand;
    setBusy(key, true);
    setError(key, null);
    try {
      const r: PlanCommandAnswer = transport
        ? await sendPlanCommand(transport, command)
        : { ok: false, error: { code: 'E_UNAVAILABLE', message: 'not connected' } };
      if (r.ok) {
        const open = r.instance.instance.state === 'active' || r.instance.instance.state === 'proposed';
        const rest = instances.value.filter((v) => v.instance.id !== r.instance.instance.id);
        instances.value = open ? [...rest, r.instance] : rest;
      } else setError(key, r.error);
      return r;
    } finally {
      setBusy(key, false);
    }
  }

  return { instances, ts, errors, busy, active, proposed, banner, bind, load, send };
});
