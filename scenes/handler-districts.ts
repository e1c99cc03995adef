/**
 * Which districts a field handler counts for (issue 17 follow-up): a drilled or district-scoped
 * view's handler figures (空闲/处置中/在岗) are about that district's people, while the dispatch
 * pool stays city-wide (scopeFusedState keeps `handlers` whole).
 *
 * The rule a duty officer expects, in order:
 * 1. at work (assigned to an incident someone dispatched and nobody resolved yet): the districts of
 *    those incidents, wherever the phone last reported — the person is busy there, and a route that
 *    crosses a district line does not move the work;
 * 2. otherwise (idle or off duty): the district of the last known position — where they can be
 *    sent from. The roster starts every handler at home until a phone reports, so for someone who
 *    never reported this is the home district;
 * 3. no work and no known position (or one outside Qingdao): no district — counted in the city view only.
 *
 * Pure; the memos (district of a position; work districts of an incidents array, shared by every
 * district-scoped view built from one fused state) are keyed by identity and transparent: callers
 * never mutate a position or an incidents array they passed in.
 */
import type { DistrictCode, Handler, Incident, LngLat } from './domain';
import { districtOf } from './geo/districts';
import { isIncidentBeingWorked } from './incident-states';

/** Districts of the incidents each handler is at work on, by handler id. */
export function workDistrictsByHandler(incidents: readonly Incident[]): Map<string, Set<DistrictCode>> {
  const byHandler = new Map<string, Set<DistrictCode>>();
  for (const incident of incidents) {
    if (!isIncidentBeingWorked(incident)) continue;
    for (const id of incident.assignees) {
      let districts = byHandler.get(id);
      if (!districts) byHandler.set(id, (districts = new Set()));
      districts.add(incident.district);
    }
  }
  return byHandler;
}

/** Point-in-polygon over ten districts per handler per build is cheap, but positions change rarely. */
const districtOfPosition = new WeakMap<LngLat, DistrictCode | null>();
function positionDistrict(location: LngLat): DistrictCode | null {
  let district = districtOfPosition.get(location);
  if (district === undefined) districtOfPosition.set(location, (district = districtOf(location)));
  return district;
}

/** The districts `handler` counts for (see the rule above); empty when none. */
export function handlerDistricts(handler: Pick<Handler, 'id' | 'location'>, work: ReadonlyMap<string, ReadonlySet<DistrictCode>>): DistrictCode[] {
  const working = work.get(handler.id);
  if (working && working.size > 0) return [...working].sort();
  const here = handler.location ? positionDistrict(handler.location) : null;
  return here ? [here] : [];
}

const workOfIncidents = new WeakMap<readonly Incident[], Map<string, Set<DistrictCode>>>();

/** The handlers that count for any of `districts`, in their given order. */
export function handlersInDistricts(handlers: readonly Handler[], incidents: readonly Incident[], districts: readonly DistrictCode[]): Handler[] {
  let work = workOfIncidents.get(incidents);
  if (!work) workOfIncidents.set(incidents, (work = workDistrictsByHandler(incidents)));
  const byHandler = work;
  return handlers.filter((h) => handlerDistricts(h, byHandler).some((d) => districts.includes(d)));
}
