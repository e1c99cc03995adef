/**
 * Each drill proposes its contingency plan on a REAL server (memory store, the default demo
 * fleet): the drill's readings go through POST /api/ingest (mock-devices/drill.ts, simulated
 * time, as fast as the server takes them), then the plan trigger tick runs until the plan is
 * proposed (or started) — and no other plan is.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { IocServer } from '../app';
import { DEFAULT_FLEET } from '../../scenes/fleet';
import { BRIDGE_PLAN, FIRE_PLAN, FLOOD_PLAN, GAS_PLAN } from '../../scenes/plans/demo-plans';
import { DRILL_TAIL_MS, runDrill } from '../../mock-devices/drill';
import { DRILLS, type DrillName } from '../../mock-devices/drills';
import { startTestServer } from './helpers';

/** how long after the drill's last reading the plan must be proposed, ms */
const PROPOSAL_TIMEOUT_MS = 15_000;

let server: IocServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('each drill proposes its plan', () => {
  it.each([
    ['rainstorm', FLOOD_PLAN.id],
    ['bridge-overload', BRIDGE_PLAN.id],
    ['gas-leak', GAS_PLAN.id],
    ['community-fire', FIRE_PLAN.id],
  ] as [DrillName, string][])(
    'the %s drill proposes %s',
    async (drill, planId) => {
      // a long tick: the test drives the ticks itself once the drill's readings are in
      server = await startTestServer({ demoDevices: DEFAULT_FLEET.count, demoSeed: DEFAULT_FLEET.seed, planTickIntervalMs: 60_000 });
      const durationMs = DRILLS[drill].durationMs + DRILL_TAIL_MS;
      const run = await runDrill(server.url, drill, {
        devices: DEFAULT_FLEET.count,
        seed: DEFAULT_FLEET.seed,
        realTime: false,
        // the drill's last reading a few seconds ago: readings from the future are refused
        startTs: Date.now() - durationMs - 2_000,
        log: () => {},
      });
      expect(run.stats).toMatchObject({ rejected: 0 });
      const deadline = Date.now() + PROPOSAL_TIMEOUT_MS;
      let views = server.plans.viewsFor({ kind: 'all' });
      while (!views.some((v) => v.plan.id === planId)) {
        if (Date.now() > deadline) {
          const alerts = server.fusion.fusedState(Date.now()).alerts.map((a) => [a.ruleId, a.level, a.cleared, a.firstTs, a.lastTs]);
          throw new Error(`no proposal of ${planId}; open: ${JSON.stringify(views.map((v) => v.plan.id))}; alerts ${JSON.stringify(alerts)}`);
        }
        await server.plans.tick();
        views = server.plans.viewsFor({ kind: 'all' });
        if (!views.some((v) => v.plan.id === planId)) await new Promise((r) => setTimeout(r, 200));
      }
      const summary = views.map((v) => [v.plan.id, v.instance.state, v.instance.level, v.instance.reasons.map((r) => r.trigger)]);
      console.info(`[plan-drills] ${drill}: ${JSON.stringify(summary)}`);
      expect(views.map((v) => v.plan.id)).toEqual([planId]);
    },
    120_000,
  );
});
