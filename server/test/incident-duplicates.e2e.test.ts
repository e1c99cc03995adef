/**
 * 查重 for a manual incident (issue 14): `GET /api/incidents/duplicates?category=&lng=&lat=` offers
 * the open incident of that category nearby so the console can link instead of opening another —
 * officers and admins only, within their districts, validated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../scenes/domain';
import { incidentAt, SHINAN, startScopeHarness, type ScopeHarness } from './scope-helpers';

let h: ScopeHarness;
let gas: Incident;

beforeAll(async () => {
  h = await startScopeHarness('dups');
  gas = await h.must('officer2', incidentAt(SHINAN, '市南区 燃气泄漏'));
});

afterAll(async () => {
  await h?.close();
});

const near = `lng=${SHINAN.location[0] + 0.001}&lat=${SHINAN.location[1] + 0.001}`;

describe('GET /api/incidents/duplicates', () => {
  it('offers the open incident of the same category nearby, with its distance', async () => {
    const r = await h.get(`/api/incidents/duplicates?category=gas-leak&${near}`, 'officer2');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.candidates.map((c: { incident: Incident }) => c.incident.id)).toEqual([gas.id]);
    expect(r.body.candidates[0].distanceM).toBeGreaterThan(50);
    expect(r.body.candidates[0].distanceM).toBeLessThan(500);
  });

  it('offers nothing for another category or far away', async () => {
    expect((await h.get(`/api/incidents/duplicates?category=fire&${near}`, 'officer2')).body.candidates).toEqual([]);
    expect((await h.get('/api/incidents/duplicates?category=gas-leak&lng=120.47&lat=36.1', 'officer2')).body.candidates).toEqual([]);
  });

  it('offers nothing outside a district-limited officer’s districts', async () => {
    const user = (await h.server.store.getUser('officer1'))!;
    await h.server.store.putUser({ ...user, districts: ['370212'] });
    expect((await h.get(`/api/incidents/duplicates?category=gas-leak&${near}`, 'officer1')).body.candidates).toEqual([]);
  });

  it('is for officers and admins, and validates its query', async () => {
    expect((await h.get(`/api/incidents/duplicates?category=gas-leak&${near}`, 'handler1')).status).toBe(403);
    expect((await h.get(`/api/incidents/duplicates?category=gas-leak&${near}`, 'admin')).status).toBe(200);
    expect((await h.get('/api/incidents/duplicates?category=gas-leak&lng=east&lat=36', 'officer2')).status).toBe(400);
    expect((await h.get('/api/incidents/duplicates?lng=120&lat=36', 'officer2')).status).toBe(400);
  });
});
