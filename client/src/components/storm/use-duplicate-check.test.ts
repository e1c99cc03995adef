import { describe, expect, it } from 'vitest';
import { shallowRef } from 'vue';
import type { Incident } from '@scenes/domain';
import type { AlertItem } from '@scenes/scene-model';
import { SHINAN, T0, makeAlert, makeIncident, offsetM } from '@scenes/storm/fixtures/storm-fixtures';
import { useDuplicateCheck } from './use-duplicate-check';

function item(o: Parameters<typeof makeAlert>[1]): AlertItem {
  const { ruleId: _r, location, peakLevel: _p, ...rest } = makeAlert('wl-9', o);
  return { ...rest, p: location };
}

function setup(incidents: Incident[]) {
  const calls: string[] = [];
  const check = useDuplicateCheck({
    token: () => null, // no session: the console's own incidents answer
    incidents: shallowRef(new Map(incidents.map((i) => [i.id, i]))),
    categoryOf: () => 'waterlogging',
    create: async (a) => void calls.push(`create ${a.deviceId}`),
    link: async (id, a) => void calls.push(`link ${a.deviceId} → ${id}`),
  });
  return { check, calls };
}

describe('查重 before a manual create', () => {
  const near = makeIncident('INC-NEAR', { location: offsetM(SHINAN, 350, 0) });
  const alert = item({ firstTs: T0 + 60_000 });

  it('asks first when an open incident of the same category is near, and links on request', async () => {
    const { check, calls } = setup([near]);
    await check.createChecked(alert);
    expect(calls).toEqual([]);
    expect(check.prompt.value?.candidates.map((c) => [c.incidentId, Math.round(c.distanceM)])).toEqual([['INC-NEAR', 350]]);
    await check.linkTo('INC-NEAR');
    expect(calls).toEqual(['link wl-9 → INC-NEAR']);
    expect(check.prompt.value).toBeNull();
  });

  it('creates anyway when the officer says so', async () => {
    const { check, calls } = setup([near]);
    await check.createChecked(alert);
    await check.createAnyway();
    expect(calls).toEqual(['create wl-9']);
  });

  it('creates at once when nothing open is near', async () => {
    const far = makeIncident('INC-FAR', { location: offsetM(SHINAN, 9000, 0) });
    const closed = makeIncident('INC-CLOSED', { state: 'closed', location: SHINAN });
    const { check, calls } = setup([far, closed]);
    await check.createChecked(alert);
    expect(check.prompt.value).toBeNull();
    expect(calls).toEqual(['create wl-9']);
  });
});
