/**
 * Anti-replay per device: the newest seq and a bitmask of the SEQ_WINDOW seqs just below it.
 * Classifying is read-only; recording marks a reading as seen. Ingest classifies once and the
 * verdict travels with the reading to fusion, so a duplicate is checked for once, not twice.
 */

/** A reading up to this many seqs behind the newest is checked exactly. */
export const SEQ_WINDOW = 32;
/** Every seq of the window seen. */
const FULL_SEQ_MASK = 0xffffffff;

export type ReadingVerdict = 'accepted' | 'duplicate' | 'out_of_order';

interface SeqTrack {
  lastSeq: number;
  /** bit i set = seq (lastSeq - 1 - i) was seen */
  mask: number;
}

export class SequenceWindows {
  private readonly tracks = new Map<string, SeqTrack>();

  /** Duplicate: this (device, seq) was seen, or is too far behind to tell. */
  classify(deviceId: string, seq: number): ReadingVerdict {
    const t = this.tracks.get(deviceId);
    if (!t) return 'accepted';
    if (seq > t.lastSeq) return 'accepted';
    if (seq === t.lastSeq) return 'duplicate';
    const back = t.lastSeq - seq - 1;
    if (back >= SEQ_WINDOW) return 'duplicate';
    return (t.mask >>> back) & 1 ? 'duplicate' : 'out_of_order';
  }

  /** Marks a seq as seen; `verdict` is what `classify` answered for it (duplicates are ignored). */
  record(deviceId: string, seq: number, verdict: ReadingVerdict): void {
    if (verdict === 'duplicate') return;
    const t = this.tracks.get(deviceId);
    if (!t) {
      this.tracks.set(deviceId, { lastSeq: seq, mask: 0 });
      return;
    }
    if (verdict === 'out_of_order') {
      t.mask |= 1 << (t.lastSeq - seq - 1);
      return;
    }
    const shift = seq - t.lastSeq;
    // JS shifts are mod 32, so the window edge is handled explicitly
    t.mask = shift > SEQ_WINDOW ? 0 : shift === SEQ_WINDOW ? 0x80000000 : ((t.mask << shift) | (1 << (shift - 1))) >>> 0;
    t.lastSeq = seq;
  }

  /**
   * Restored from a persisted device state: the window below lastSeq was not persisted, so it counts
   * as seen — a reading acknowledged before a restart and resent after it is a duplicate (the price:
   * a never-seen reading arriving out of order just after a restart is dropped as a duplicate too).
   */
  restore(deviceId: string, lastSeq: number): void {
    this.tracks.set(deviceId, { lastSeq, mask: lastSeq >= 0 ? FULL_SEQ_MASK : 0 });
  }

  forget(deviceId: string): void {
    this.tracks.delete(deviceId);
  }
}
