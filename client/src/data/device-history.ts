/**
 * A device metric's readings history as roll-ups (issue 16; server: `GET
 * /api/devices/:id/readings/history`, server/rollups/history-router.ts). The answer is validated
 * against the shared schema before anything draws it.
 */
import { computed, onScopeDispose, ref, shallowRef, watch } from 'vue';
import type { IocError } from '@scenes/protocol';
import { HISTORY_WINDOWS, HistoryAnswerSchema, type HistoryAnswer, type HistoryWindow } from '@scenes/rollups/history-series';
import { loadSession } from '../auth/session';
import { call, type ApiResult } from './rest';

export { HISTORY_WINDOWS };
export type { HistoryAnswer, HistoryWindow };

/** What the detail card offers: the live window fusion keeps, then the roll-up windows. */
export const DETAIL_TREND_WINDOWS = ['live', ...HISTORY_WINDOWS] as const;
export type DetailTrendWindow = (typeof DETAIL_TREND_WINDOWS)[number];

export async function fetchDeviceHistory(deviceId: string, metric: string, window: HistoryWindow): Promise<ApiResult<{ history: HistoryAnswer }>> {
  const session = loadSession();
  if (!session) return { ok: false, network: false, error: { code: 'E_UNAUTHORIZED', message: 'not signed in' } };
  const query = new URLSearchParams({ window, metric });
  const r = await call<unknown>(session.token, `/api/devices/${encodeURIComponent(deviceId)}/readings/history?${query}`);
  if (!r.ok) return r;
  const { ok: _ok, ...body } = r;
  const parsed = HistoryAnswerSchema.safeParse(body);
  if (!parsed.success)
    return {
      ok: false,
      network: false,
      error: { code: 'E_VALIDATION', message: `unexpected history answer: ${parsed.error.issues[0]?.message ?? ''}` },
    };
  return { ok: true, history: parsed.data };
}

/** While a roll-up window is shown, it is read again this often (a new bucket appears), ms. */
export const HISTORY_REFRESH_INTERVAL_MS = 60_000;

/**
 * The detail card's trend window and, for a roll-up window, its history: re-read when the device,
 * metric or window changes and every HISTORY_REFRESH_INTERVAL_MS while shown; a stale answer (the
 * selection moved on) is dropped. `window` starts at 'live' (fusion's recent series).
 */
export function useDeviceHistory(target: () => { deviceId: string; metric: string } | null) {
  const window = ref<DetailTrendWindow>('live');
  const history = shallowRef<HistoryAnswer | null>(null);
  const error = ref<IocError | null>(null);
  const loading = ref(false);
  let seq = 0;
  let timer: ReturnType<typeof setInterval> | undefined;

  const key = computed(() => {
    const t = target();
    return t && window.value !== 'live' ? `${t.deviceId}|${t.metric}|${window.value}` : null;
  });

  async function load(showLoading: boolean): Promise<void> {
    const t = target();
    const w = window.value;
    const mine = ++seq;
    if (!t || w === 'live') return;
    if (showLoading) loading.value = true;
    const r = await fetchDeviceHistory(t.deviceId, t.metric, w);
    if (mine !== seq) return;
    loading.value = false;
    if (r.ok) {
      history.value = r.history;
      error.value = null;
    } else error.value = r.error;
  }

  watch(
    key,
    (k) => {
      clearInterval(timer);
      history.value = null;
      error.value = null;
      loading.value = false;
      seq++;
      if (k === null) return;
      void load(true);
      timer = setInterval(() => void load(false), HISTORY_REFRESH_INTERVAL_MS);
    },
    { immediate: true },
  );
  onScopeDispose(() => clearInterval(timer));
  return { window, history, error, loading };
}
