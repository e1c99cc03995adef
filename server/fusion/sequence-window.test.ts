import { describe, expect, it } from 'vitest';
import { SEQ_WINDOW, SequenceWindows } from './sequence-window';

describe('SequenceWindows', () => {
  const accept = (w: SequenceWindows, seq: number) => w.record('d1', seq, w.classify('d1', seq));

  it('accepts the first seq of a device and every newer one', () => {
    const w = new SequenceWindows();
    expect(w.classify('d1', 5)).toBe('accepted');
    accept(w, 5);
    expect(w.classify('d1', 6)).toBe('accepted');
    expect(w.classify('d1', 500)).toBe('accepted');
    expect(w.classify('d2', 0)).toBe('accepted');
  });

  it('answers a seen seq as a duplicate and an unseen one inside the window as out of order, once', () => {
    const w = new SequenceWindows();
    accept(w, 10);
    accept(w, 12);
    expect(w.classify('d1', 12)).toBe('duplicate');
    expect(w.classify('d1', 10)).toBe('duplicate');
    expect(w.classify('d1', 11)).toBe('out_of_order');
    accept(w, 11);
    expect(w.classify('d1', 11)).toBe('duplicate');
  });

  it('counts a seq further behind than the window as a duplicate, and remembers the window edge', () => {
    const w = new SequenceWindows();
    accept(w, 100);
    accept(w, 100 + SEQ_WINDOW);
    expect(w.classify('d1', 100)).toBe('duplicate');
    expect(w.classify('d1', 101)).toBe('out_of_order');
    expect(w.classify('d1', 99)).toBe('duplicate');
  });

  it('changes nothing when classifying, and nothing when recording a duplicate', () => {
    const w = new SequenceWindows();
    accept(w, 3);
    w.classify('d1', 4);
    w.record('d1', 3, 'duplicate');
    expect(w.classify('d1', 4)).toBe('accepted');
  });

  it('treats the whole window below a restored seq as seen, and forgets a device entirely', () => {
    const w = new SequenceWindows();
    w.restore('d1', 50);
    expect(w.classify('d1', 49)).toBe('duplicate');
    expect(w.classify('d1', 51)).toBe('accepted');
    w.forget('d1');
    expect(w.classify('d1', 49)).toBe('accepted');
  });
});
