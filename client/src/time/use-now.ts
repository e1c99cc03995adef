/**
 * One shared UI clock: a ref ticking every `CLIENT_CONFIG.uiTickMs` while at least one component
 * uses it (ref-counted; the interval is cleared when the last user unmounts).
 */
import { onBeforeUnmount, ref } from 'vue';
import type { Ref } from 'vue';
import { CLIENT_CONFIG } from '../client-config';

const now = ref(Date.now());
let users = 0;
let timer: ReturnType<typeof setInterval> | null = null;

/** The current client time (epoch ms), updated once per UI tick. Call from setup(). */
export function useNow(): Readonly<Ref<number>> {
  users++;
  if (timer === null) {
    now.value = Date.now();
    timer = setInterval(() => {
      now.value = Date.now();
    }, CLIENT_CONFIG.uiTickMs);
  }
  onBeforeUnmount(() => {
    users--;
    if (users === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  });
  return now;
}
