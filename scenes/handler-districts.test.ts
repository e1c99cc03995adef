import { describe, expect, it } from 'vitest';
import type { DistrictCode, Handler, Incident, IncidentState, LngLat } from './domain';
import { handlerDistricts, handlersInDistricts, workDistrictsByHandler } from './handler-districts';

const SHINAN: DistrictCode = '370202';
const SHIBEI: DistrictCode = '370203';
const LICANG: DistrictCode = '370213';
/** points inside 市南区 and 市北区 */
const IN_SHINAN: LngLat = [120.38, 36.08];
const IN_SHIBEI: LngLat = [120.36, 36.1];

function handler(id: string, location: LngLat | null, status: Handler['status'] = 'idle'): Handler {
  return { id, name: id, team: 't', skills: [], location, locationTs: 0, status };
}

/** Only the fields the rule reads matter; the rest keeps the type honest. */
function incident(id: string, state: IncidentState, district: DistrictCode, assignees: string[]): Incident {
  return { id, state, district, assignees } as Incident;
}

describe('handlerDistricts', () => {
  it('counts a handler at work for the districts of their incidents, wherever their phone is', () => {
    const work = workDistrictsByHandler([incident('a', 'on_site', LICANG, ['h1']), incident('b', 'dispatched', SHIBEI, ['h1', 'h2'])]);
    expect(handlerDistricts(handler('h1', IN_SHINAN, 'busy'), work)).toEqual([SHIBEI, LICANG]);
    expect(handlerDistricts(handler('h2', null, 'busy'), work)).toEqual([SHIBEI]);
  });

  it('counts an idle or off-duty handler for the district of their last known position (home until a phone reports)', () => {
    const work = workDistrictsByHandler([]);
    expect(handlerDistricts(handler('h1', IN_SHINAN), work)).toEqual([SHINAN]);
    expect(handlerDistricts(handler('h2', IN_SHIBEI, 'off_duty'), work)).toEqual([SHIBEI]);
  });

  it('does not count work that is not under way: reported (nobody sent), resolved or closed incidents', () => {
    const work = workDistrictsByHandler([
      incident('a', 'reported', LICANG, ['h1']),
      incident('b', 'resolved', LICANG, ['h1']),
      incident('c', 'closed', LICANG, ['h1']),
    ]);
    expect(handlerDistricts(handler('h1', IN_SHINAN), work)).toEqual([SHINAN]);
  });

  it('counts a handler with no work and no known position (or one at sea) for no district', () => {
    const work = workDistrictsByHandler([]);
    expect(handlerDistricts(handler('h1', null, 'off_duty'), work)).toEqual([]);
    expect(handlerDistricts(handler('h2', [121.5, 35.5]), work)).toEqual([]);
  });
});

describe('handlersInDistricts', () => {
  it('keeps the handlers that count for any of the districts, in their order', () => {
    const handlers = [handler('h1', IN_SHIBEI, 'busy'), handler('h2', IN_SHINAN), handler('h3', IN_SHIBEI), handler('h4', null, 'off_duty')];
    const incidents = [incident('a', 'accepted', SHINAN, ['h1'])];
    expect(handlersInDistricts(handlers, incidents, [SHINAN]).map((h) => h.id)).toEqual(['h1', 'h2']);
    expect(handlersInDistricts(handlers, incidents, [SHIBEI]).map((h) => h.id)).toEqual(['h3']);
    expect(handlersInDistricts(handlers, incidents, [SHINAN, SHIBEI]).map((h) => h.id)).toEqual(['h1', 'h2', 'h3']);
  });
});
