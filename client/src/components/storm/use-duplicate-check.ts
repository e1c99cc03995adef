/**
 * 查重 before a manual create from an alert: ask the server for open incidents of the same category
 * nearby (`GET /api/incidents/duplicates`), or — while it does not answer — apply the same rule
 * (scenes/storm/incident-dedup.ts) to the incidents the console holds. With candidates the officer
 * is asked first ("可能重复: INC-… 350 m": link the alert to it, or create anyway).
 */
import { ref, shallowRef, type Ref } from 'vue';
import { distance } from '@turf/distance';
import type { Incident } from '@scenes/domain';
import type { AlertItem } from '@scenes/scene-model';
import { fetchDuplicateCandidates, type DuplicateCandidate } from '../../data/storm';
import { nearbyOpenIncidents } from './storm-view';

/** Candidates offered at most. */
export const MAX_DUPLICATES_OFFERED = 3;

export interface DuplicateCheckDeps {
  token: () => string | null;
  incidents: Readonly<Ref<ReadonlyMap<string, Incident>>>;
  categoryOf: (a: AlertItem) => string;
  create: (a: AlertItem) => Promise<void>;
  link: (incidentId: string, a: AlertItem) => Promise<void>;
}

export function useDuplicateCheck(d: DuplicateCheckDeps) {
  const prompt = shallowRef<{ alert: AlertItem; candidates: DuplicateCandidate[] } | null>(null);
  const busy = ref(false);

  async function candidatesFor(a: AlertItem): Promise<DuplicateCandidate[]> {
    const category = d.categoryOf(a);
    const token = d.token();
    const fromServer = token
      ? await fetchDuplicateCandidates(token, { category, location: a.p }, (p) => distance(a.p, p, { units: 'meters' }))
      : null;
    if (fromServer) return fromServer.slice(0, MAX_DUPLICATES_OFFERED);
    return nearbyOpenIncidents({ category, location: a.p, ts: a.firstTs }, d.incidents.value.values(), MAX_DUPLICATES_OFFERED).map((c) => ({
      incidentId: c.incident.id,
      title: c.incident.title,
      distanceM: c.distanceM,
    }));
  }

  /** 立即建单: offer likely duplicates first, else create. */
  async function createChecked(a: AlertItem) {
    prompt.value = null;
    busy.value = true;
    try {
      const candidates = await candidatesFor(a);
      if (candidates.length > 0) prompt.value = { alert: a, candidates };
      else await d.create(a);
    } finally {
      busy.value = false;
    }
  }

  async function linkTo(incidentId: string) {
    const p = prompt.value;
    if (!p) return;
    busy.value = true;
    try {
      await d.link(incidentId, p.alert);
      prompt.value = null;
    } finally {
      busy.value = false;
    }
  }

  async function createAnyway() {
    const p = prompt.value;
    if (!p) return;
    prompt.value = null;
    await d.create(p.alert);
  }

  return { prompt, busy, createChecked, linkTo, createAnyway };
}
