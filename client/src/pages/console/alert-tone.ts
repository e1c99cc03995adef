/**
 * Attention sounds generated with WebAudio (no audio files): a two-tone chime for a new incident
 * on the console, a louder triple beep for a new assignment on the phone. Browsers only allow
 * sound after a user gesture; until then `playTone` is a silent no-op.
 */
export type ToneKind = 'new-incident' | 'new-assignment';

interface ToneStep {
  /** Hz */
  frequencyHz: number;
  /** s from the start of the tone */
  startS: number;
  /** s */
  durationS: number;
}

const TONES: Record<ToneKind, { steps: ToneStep[]; gain: number }> = {
  'new-incident': {
    gain: 0.15,
    steps: [
      { frequencyHz: 880, startS: 0, durationS: 0.18 },
      { frequencyHz: 660, startS: 0.22, durationS: 0.25 },
    ],
  },
  'new-assignment': {
    gain: 0.3,
    steps: [
      { frequencyHz: 988, startS: 0, durationS: 0.15 },
      { frequencyHz: 988, startS: 0.25, durationS: 0.15 },
      { frequencyHz: 1319, startS: 0.5, durationS: 0.3 },
    ],
  },
};

/** s; ramp in/out so the tone does not click */
const RAMP_S = 0.02;

let context: AudioContext | null = null;

function audioContext(): AudioContext | null {
  if (context) return context;
  const Ctor = (globalThis as { AudioContext?: typeof AudioContext }).AudioContext;
  if (!Ctor) return null;
  try {
    context = new Ctor();
  } catch {
    return null;
  }
  return context;
}

/** Call from a click handler once so later tones may play. */
export function unlockAudio(): void {
  void audioContext()
    ?.resume()
    .catch(() => undefined);
}

export function playTone(kind: ToneKind): void {
  const ctx = audioContext();
  if (!ctx || ctx.state !== 'running') return;
  const tone = TONES[kind];
  const t0 = ctx.currentTime;
  for (const step of tone.steps) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.value = step.frequencyHz;
    const start = t0 + step.startS;
    const end = start + step.durationS;
    gain.gain.setValueAtTime(0, start);
    gain.gain.linearRampToValueAtTime(tone.gain, start + RAMP_S);
    gain.gain.setValueAtTime(tone.gain, end - RAMP_S);
    gain.gain.linearRampToValueAtTime(0, end);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start);
    osc.stop(end);
  }
}
