/**
 * Whether this page's maps run on software GL (deck.gl's device info: SwiftShader, llvmpipe — a
 * wall PC without a GPU), for the parts of the page that animate: there every compositor frame is
 * drawn by the CPU, so continuous animations step instead of gliding (the alert ticker). Set by
 * the first map that starts (DeckMap.vue); false until then and on pages without a map.
 */
import { ref } from 'vue';

export const softwareGl = ref(false);

/** deck.gl's `device.info.gpuType` of a map that started. */
export function noteGpuType(gpuType: string): boolean {
  const software = gpuType === 'cpu';
  if (software) softwareGl.value = true;
  return software;
}
