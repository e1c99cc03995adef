/**
 * Replay mode: the events of the last hours of one scene (of one district on a drilled wall: the
 * server narrows them) and the slider time. While active, the page shows the alerts and incidents
 * reconstructed at `ts` instead of the live ones.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { DistrictCode, ScreenSceneId } from '@scenes/domain';
import type { IocError, LogEvent } from '@scenes/protocol';
import { CLIENT_CONFIG } from '../client-config';
import { fetchReplayRange } from '../data/replay';
import { replayStateAt } from '../replay/replay-state-at';
import type { ReplayState } from '../replay/replay-state-at';

export const useReplayStore = defineStore('replay', () => {
  const active = ref(false);
  const scene = ref<ScreenSceneId | null>(null);
  /** the drilled district replayed; null = the viewer's whole scope */
  const district = ref<DistrictCode | null>(null);
  /** slider time, epoch ms (server clock) */
  const ts = ref(0);
  const fromTs = ref(0);
  const toTs = ref(0);
  const events = shallowRef<LogEvent[]>([]);
  const loading = ref(false);
  const error = ref<IocError | null>(null);
  let requestSeq = 0;

  const state = computed<ReplayState | null>(() => (active.value && !loading.value ? replayStateAt(events.value, ts.value) : null));

  /** Enter replay for `forScene` (of `forDistrict` when drilled), loading the window ending at `nowTs` (server clock). */
  async function open(forScene: ScreenSceneId, nowTs: number, forDistrict: DistrictCode | null = null) {
    const seq = ++requestSeq;
    active.value = true;
    scene.value = forScene;
    district.value = forDistrict;
    toTs.value = nowTs;
    fromTs.value = nowTs - CLIENT_CONFIG.replayWindowMs;
    ts.value = nowTs;
    loading.value = true;
    error.value = null;
    events.value = [];
    const r = await fetchReplayRange({ scene: forScene, fromTs: fromTs.value, toTs: toTs.value, district: forDistrict });
    if (seq !== requestSeq) return;
    loading.value = false;
    if (r.ok) events.value = r.events;
    else error.value = r.error;
  }

  function seek(nextTs: number) {
    ts.value = Math.min(toTs.value, Math.max(fromTs.value, nextTs));
  }

  function close() {
    requestSeq++;
    active.value = false;
    scene.value = null;
    district.value = null;
    events.value = [];
    loading.value = false;
    error.value = null;
  }

  return { active, scene, district, ts, fromTs, toTs, events, loading, error, state, open, seek, close };
});
