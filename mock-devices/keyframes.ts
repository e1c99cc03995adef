/** A value at a time offset; drills script metric values and rainfall as keyframe lists. */
export interface Keyframe {
  /** ms from the start of the script */
  atMs: number;
  /** value in the scripted metric's unit */
  value: number;
}

/**
 * Linear interpolation between keyframes (sorted by atMs); before the first keyframe → undefined
 * (nothing scripted yet), after the last → the last value (held).
 */
export function interpolateKeyframes(keyframes: readonly Keyframe[], tMs: number): number | undefined {
  if (keyframes.length === 0 || tMs < keyframes[0].atMs) return undefined;
  for (let i = 1; i < keyframes.length; i++) {
    const b = keyframes[i];
    if (tMs < b.atMs) {
      const a = keyframes[i - 1];
      const span = b.atMs - a.atMs;
      return span <= 0 ? b.value : a.value + ((b.value - a.value) * (tMs - a.atMs)) / span;
    }
  }
  return keyframes[keyframes.length - 1].value;
}
