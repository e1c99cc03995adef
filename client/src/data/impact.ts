/**
 * REST calls of impact ranges and live resources (issue 17, server/resources/resource-router.ts):
 * the range around an incident or a point, the incident's assignments, assign and release.
 * Every call returns `{ ok: true, ... }` or `{ ok: false, error, network }`.
 */
import type { LngLat } from '@scenes/domain';
import type { ImpactRange } from '@scenes/impact/impact-types';
import { call, jsonInit as json, type ApiResult } from './rest';
import { newCommandId } from './incidents';

export type { ImpactRange, ImpactResource } from '@scenes/impact/impact-types';

/** What an incident holds of one resource. */
export interface ResourceAssignment {
  incidentId: string;
  resourceId: string;
  /** units: team members, supply units, shelter places */
  amount: number;
  assignedBy: string;
  /** epoch ms */
  ts: number;
}

/** A resource after a change: capacity and what is free now. */
export interface LiveResource {
  id: string;
  kind: 'rescue-team' | 'supply-depot' | 'shelter';
  capacity: number;
  available: number;
}

const radiusQuery = (radiusM: number | undefined) => (radiusM === undefined ? '' : `radiusM=${Math.round(radiusM)}`);

export function fetchIncidentImpact(token: string, incidentId: string, radiusM?: number): Promise<ApiResult<ImpactRange>> {
  const q = radiusQuery(radiusM);
  return call(token, `/api/incidents/${encodeURIComponent(incidentId)}/impact${q ? `?${q}` : ''}`);
}

export function fetchPointImpact(token: string, center: LngLat, category = 'default', radiusM?: number): Promise<ApiResult<ImpactRange>> {
  const q = [`lng=${center[0]}`, `lat=${center[1]}`, `category=${encodeURIComponent(category)}`, radiusQuery(radiusM)].filter(Boolean).join('&');
  return call(token, `/api/impact?${q}`);
}

export function fetchAssignments(token: string, incidentId: string): Promise<ApiResult<{ assignments: ResourceAssignment[] }>> {
  return call(token, `/api/incidents/${encodeURIComponent(incidentId)}/resources`);
}

/** Assigns `amount` units; `commandId` makes a retry harmless (a new one per click). */
export function assignResource(
  token: string,
  incidentId: string,
  resourceId: string,
  amount: number,
  commandId = newCommandId('ra'),
): Promise<ApiResult<{ assignment: ResourceAssignment | null; resource: LiveResource; duplicate: boolean }>> {
  return call(token, `/api/incidents/${encodeURIComponent(incidentId)}/resources`, json({ resourceId, amount, commandId }));
}

export function releaseResource(
  token: string,
  incidentId: string,
  resourceId: string,
): Promise<ApiResult<{ released: ResourceAssignment; resource: LiveResource | null }>> {
  return call(token, `/api/incidents/${encodeURIComponent(incidentId)}/resources/${encodeURIComponent(resourceId)}`, { method: 'DELETE' });
}
