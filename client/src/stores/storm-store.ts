/**
 * Storm operations as the duty officer's console holds them (issue 14): the district warnings and
 * which alerts they cover (pushed on `/live`), the server's count of decisions waiting, the alert
 * list's filter, and the bulk acknowledgement of recovered alerts.
 *
 * Invariants:
 * - warnings and coveredBy are replaced whole by each push (shallowRef, never deep-reactive);
 * - decisions are asked for at most once per DECISIONS_MIN_INTERVAL_MS, however many pushes ask
 *   (a storm pushes many); one request at a time, a request asked for meanwhile runs after it;
 * - `decisions === null` means the server has not answered (the console then counts locally).
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { AreaWarning, AreaWarningResult } from '@scenes/storm/area-warnings';
import type { OfficerDecision } from '@scenes/storm/decisions';
import type { LiveTransport } from '../connection';
import { fetchDecisions, fetchWarnings, sendAckBulk, subscribeWarnings } from '../data/storm';
import { DEFAULT_ALERT_FILTER, chunkIds, type AlertFilter } from '../components/storm/alert-queue';

/** Decisions are asked for at most this often, ms. */
export const DECISIONS_MIN_INTERVAL_MS = 2_000;
/** …and at least this often while bound, ms (plans proposed by the server have no push of their own). */
export const DECISIONS_REFRESH_MS = 15_000;

/** The REST side, injectable for tests. */
export interface StormApi {
  fetchDecisions(): Promise<OfficerDecision[] | null>;
  fetchWarnings(): Promise<AreaWarningResult | null>;
}

export function restStormApi(token: string): StormApi {
  return { fetchDecisions: () => fetchDecisions(token), fetchWarnings: () => fetchWarnings(token) };
}

export type AckBulkOutcome = { ok: true; acknowledged: number } | { ok: false; acknowledged: number; message: string };

export const useStormStore = defineStore('storm', () => {
  const warnings = shallowRef<readonly AreaWarning[]>([]);
  const coveredBy = shallowRef<Readonly<Record<string, string>>>({});
  const decisions = shallowRef<readonly OfficerDecision[] | null>(null);
  const alertFilter = ref<AlertFilter>({ ...DEFAULT_ALERT_FILTER });
  const expandedWarningId = ref<string | null>(null);
  const acking = ref(false);

  let transport: LiveTransport | null = null;
  let api: StormApi | null = null;
  let offs: (() => void)[] = [];
  let inFlight = false;
  let again = false;
  let lastAskTs = Number.NEGATIVE_INFINITY;
  let pending: ReturnType<typeof setTimeout> | null = null;

  function setWarnings(result: AreaWarningResult) {
    warnings.value = result.warnings;
    coveredBy.value = result.coveredBy;
    if (expandedWarningId.value && !result.warnings.some((w) => w.id === expandedWarningId.value)) expandedWarningId.value = null;
  }

  async function askDecisions() {
    if (!api) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    lastAskTs = Date.now();
    try {
      const d = await api.fetchDecisions();
      if (api) decisions.value = d;
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        refreshDecisions();
      }
    }
  }

  /** Ask the server for the decisions soon (coalesced: at most once per DECISIONS_MIN_INTERVAL_MS). */
  function refreshDecisions() {
    if (!api || pending) return;
    const waitMs = Math.max(0, lastAskTs + DECISIONS_MIN_INTERVAL_MS - Date.now());
    pending = setTimeout(() => {
      pending = null;
      void askDecisions();
    }, waitMs);
  }

  /** warnings pushes received: a fetch answered after a push is older than it */
  let pushes = 0;

  async function load() {
    const current = api;
    if (!current) return;
    const pushesBefore = pushes;
    const w = await current.fetchWarnings();
    // a push that arrived while the fetch was in flight is newer than its answer: the answer would
    // take back a warning the officer had just been shown (and no push follows while it holds)
    if (w && api === current && pushes === pushesBefore) setWarnings(w);
    refreshDecisions();
  }

  /** Follow warnings and decisions over `t`; returns the unbind. */
  function bind(t: LiveTransport, restApi: StormApi): () => void {
    unbind();
    transport = t;
    api = restApi;
    offs.push(
      subscribeWarnings(t, (r) => {
        pushes++;
        setWarnings(r);
        refreshDecisions();
      }),
    );
    // pushes missed while away are not replayed: fetch again after every (re)connect
    offs.push(t.onConnect(() => void load()));
    const timer = setInterval(() => refreshDecisions(), DECISIONS_REFRESH_MS);
    offs.push(() => clearInterval(timer));
    if (t.getStatus().state === 'connected') void load();
    return unbind;
  }

  function unbind() {
    for (const off of offs) off();
    offs = [];
    if (pending) clearTimeout(pending);
    pending = null;
    transport = null;
    api = null;
    // what this session was told stays with it (the next person may have another scope)
    warnings.value = [];
    coveredBy.value = {};
    decisions.value = null;
    expandedWarningId.value = null;
  }

  /**
   * Acknowledge the recovered alerts `alertIds` with `alert.ack_bulk` (chunked to the command's
   * limit; the server writes one audit record per alert). Stops at the first refused chunk.
   */
  async function ackRecovered(alertIds: readonly string[]): Promise<AckBulkOutcome> {
    const t = transport;
    if (!t) return { ok: false, acknowledged: 0, message: 'not connected' };
    acking.value = true;
    let acknowledged = 0;
    try {
      for (const ids of chunkIds(alertIds)) {
        const r = await sendAckBulk(t, ids);
        if (!r.ok) return { ok: false, acknowledged, message: r.error.message };
        acknowledged += r.alerts?.length ?? ids.length;
      }
      return { ok: true, acknowledged };
    } finally {
      acking.value = false;
      refreshDecisions();
    }
  }

  function toggleWarning(id: string) {
    expandedWarningId.value = expandedWarningId.value === id ? null : id;
  }

  return {
    warnings,
    coveredBy,
    decisions,
    alertFilter,
    expandedWarningId,
    acking,
    bind,
    unbind,
    setWarnings,
    refreshDecisions,
    ackRecovered,
    toggleWarning,
  };
});
