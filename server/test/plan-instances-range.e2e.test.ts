/**
 * Contingency responses of a period (issue 16) end to end, on Redis when one can be started:
 * closed plan instances written to the plan store as the plan service would have are listed by
 * `GET /api/plans/instances?from=&to=`, counted in the report's 应急预案响应 section and its XLSX
 * sheet, and in the briefing's 预案响应 tile — each in the caller's data scope (a district-scoped
 * officer sees the responses touching their district, not a city-wide one nor another district's).
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DistrictCode } from '../../scenes/domain';
import { BRIDGE_PLAN, FIRE_PLAN, FLOOD_PLAN, GAS_PLAN } from '../../scenes/plans/demo-plans';
import { applyPlanAction, proposePlan, type PlanAction } from '../../scenes/plans/plan-instance';
import { storedInstance, type PlanInstanceView, type StoredPlanInstance } from '../../scenes/plans/plan-protocol';
import type { ContingencyPlan } from '../../scenes/plans/plan-schema';
import type { Report } from '../../scenes/reports/build-report';
import { beijingDate } from '../../scenes/reports/report-period';
import type { BriefingAnswer } from '../briefing';
import { planStoreFor } from '../store/plan-store';
import { LAOSHAN, SHINAN, startScopeHarness, type ScopeHarness } from './scope-helpers';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** limited to 市南区 in beforeAll */
const SCOPED = 'officer1';

let h: ScopeHarness;
let nowTs: number;
const made: Record<'shinan' | 'laoshan' | 'cityWide' | 'old', StoredPlanInstance> = {} as never;

/** Proposed at `proposedTs`, started 10 min later by officer2, ended `runMs` after that by leader1: every version stored. */
async function response(plan: ContingencyPlan, districts: DistrictCode[], proposedTs: number, runMs: number): Promise<StoredPlanInstance> {
  const plans = planStoreFor(h.server.store);
  let instance = storedInstance(proposePlan(plan, { level: 'IV', reasons: [] }, proposedTs), { districts, deviceIds: [] });
  expect((await plans.createPlanInstance(instance)).status).toBe('created');
  const steps: [PlanAction, 'officer' | 'leader', number][] = [
    [{ type: 'start' }, 'officer', proposedTs + 10 * MIN],
    [{ type: 'end', note: '险情解除' }, 'leader', proposedTs + 10 * MIN + runMs],
  ];
  for (const [action, role, ts] of steps) {
    const r = applyPlanAction(instance, plan, action, { username: role === 'leader' ? 'leader1' : 'officer2', role }, ts);
    if (!r.ok) throw new Error(r.error.message);
    const next = { ...instance, ...r.instance };
    expect((await plans.updatePlanInstance(next, instance.version)).status).toBe('applied');
    instance = next;
  }
  return instance;
}

const ids = (views: readonly PlanInstanceView[]) => views.map((v) => v.instance.id);

beforeAll(async () => {
  h = await startScopeHarness('planrange');
  const user = (await h.server.store.getUser(SCOPED))!;
  await h.server.store.putUser({ ...user, districts: [SHINAN.district] });
  nowTs = Date.now();
  const t = nowTs - 4 * HOUR;
  made.shinan = await response(FLOOD_PLAN, [SHINAN.district], t, HOUR);
  made.laoshan = await response(GAS_PLAN, [LAOSHAN.district], t + 20 * MIN, 90 * MIN);
  made.cityWide = await response(BRIDGE_PLAN, [], t + 30 * MIN, 30 * MIN);
  made.old = await response(FIRE_PLAN, [SHINAN.district], nowTs - 3 * DAY, HOUR);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('GET /api/plans/instances?from=&to=', () => {
  it('lists closed instances overlapping the range, newest proposal first, for the whole city', async () => {
    const r = await h.get(`/api/plans/instances?from=${nowTs - DAY}&to=${nowTs}`, 'leader1');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ from: nowTs - DAY, to: nowTs });
    expect(ids(r.body.instances)).toEqual([made.cityWide.id, made.laoshan.id, made.shinan.id]);
    expect(r.body.instances[2]).toMatchObject({ instance: { state: 'ended' }, plan: { id: FLOOD_PLAN.id }, districts: [SHINAN.district] });
    // ISO 8601 with its offset reads the same
    const iso = await h.get(`/api/plans/instances?from=${new Date(nowTs - 4 * DAY).toISOString()}&to=${nowTs}`, 'leader1');
    expect(ids(iso.body.instances)).toContain(made.old.id);
  });

  it('gives a district-scoped officer only the instances touching their districts', async () => {
    const r = await h.get(`/api/plans/instances?from=${nowTs - 4 * DAY}&to=${nowTs}`, SCOPED);
    expect(r.status).toBe(200);
    expect(ids(r.body.instances)).toEqual([made.shinan.id, made.old.id]);
  });

  it('refuses a bad range with E_VALIDATION and a handler with 403, and keeps the open list without a range', async () => {
    const reversed = await h.get(`/api/plans/instances?from=${nowTs}&to=${nowTs - DAY}`, 'leader1');
    expect(reversed.status).toBe(400);
    expect(reversed.body.error.code).toBe('E_VALIDATION');
    expect((await h.get(`/api/plans/instances?from=${nowTs}`, 'leader1')).body.error.code).toBe('E_VALIDATION');
    expect((await h.get(`/api/plans/instances?from=${nowTs - DAY}&to=${nowTs}`, 'handler3')).status).toBe(403);
    expect((await h.get('/api/plans/instances', 'leader1')).body).toEqual({ instances: [] });
  });
});

describe('the report and the briefing', () => {
  const range = () => `kind=custom&from=${beijingDate(nowTs - 4 * HOUR)}&to=${beijingDate(nowTs)}`;

  it('count the period’s responses in the report, in the reader’s scope', async () => {
    const all = (await h.get(`/api/reports?${range()}`, 'leader1')).body as Report;
    expect(all.planResponses?.rows.map((x) => x.instanceId)).toEqual([made.shinan.id, made.laoshan.id, made.cityWide.id]);
    expect(all.planResponses?.count).toBe(3);
    expect(all.planResponses?.responseMsInPeriod).toBe(3 * HOUR);
    const scoped = (await h.get(`/api/reports?${range()}`, SCOPED)).body as Report;
    expect(scoped.planResponses?.rows.map((x) => x.instanceId)).toEqual([made.shinan.id]);
  });

  it('writes the scoped reader’s responses into the XLSX sheet 应急预案响应', async () => {
    const f = await fetch(`${h.server.url}/api/reports/export?${range()}&format=xlsx`, {
      headers: { authorization: `Bearer ${await h.token(SCOPED)}` },
    });
    expect(f.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await f.arrayBuffer());
    const sheet = wb.getWorksheet('应急预案响应')!;
    expect(sheet.rowCount).toBe(2);
    expect(sheet.getRow(2).getCell(1).value).toBe(FLOOD_PLAN.name);
    expect(sheet.getRow(2).getCell(3).value).toBe('市南区');
    expect(sheet.getRow(2).getCell(6).value).toBe(1);
  });

  it('tells the briefing how many responses ran in its period, the most recent first', async () => {
    const all = (await h.get('/api/briefing?period=7d', 'leader1')).body as BriefingAnswer;
    expect(all.planResponses.count).toBe(4);
    expect(all.planResponses.recent.map((x) => x.instanceId)).toEqual([made.cityWide.id, made.laoshan.id, made.shinan.id, made.old.id]);
    const scoped = (await h.get('/api/briefing?period=7d', SCOPED)).body as BriefingAnswer;
    expect(scoped.planResponses.recent.map((x) => x.instanceId)).toEqual([made.shinan.id, made.old.id]);
  });
});
