import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createInputYield } from './input-yield';

/** A governor that records what it is told, and a window/document pair of plain event targets. */
function rig(wheelInteractionMs = 400) {
  const told: string[] = [];
  const governor = {
    noteInput: () => told.push('input'),
    setMapInteracting: (on: boolean) => told.push(on ? 'map-on' : 'map-off'),
    setHidden: (hidden: boolean) => told.push(hidden ? 'hidden' : 'shown'),
  };
  let onMap = false;
  const win = new EventTarget();
  const doc = Object.assign(new EventTarget(), { hidden: false });
  const inputYield = createInputYield(governor, () => onMap, wheelInteractionMs);
  const fire = (type: string, where: 'map' | 'page' = 'page') => {
    onMap = where === 'map';
    win.dispatchEvent(new Event(type));
  };
  return { told, win, doc, inputYield, fire };
}

describe('input yield', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('reports the visibility when attached and whenever it changes', () => {
    const r = rig();
    r.doc.hidden = true;
    r.inputYield.attach(r.win, r.doc);
    r.doc.hidden = false;
    r.doc.dispatchEvent(new Event('visibilitychange'));
    expect(r.told).toEqual(['hidden', 'shown']);
  });

  it('holds frames for input on the rest of the page', () => {
    const r = rig();
    r.inputYield.attach(r.win, r.doc);
    for (const type of ['pointerdown', 'pointermove', 'keydown', 'wheel']) r.fire(type);
    expect(r.told.slice(1)).toEqual(['input', 'input', 'input', 'input']);
  });

  it('counts a press on the map as working the map until the pointer is up or cancelled', () => {
    const r = rig();
    r.inputYield.attach(r.win, r.doc);
    r.fire('pointerdown', 'map');
    r.fire('pointermove', 'map');
    r.fire('pointerup', 'map');
    r.fire('pointerdown', 'map');
    r.fire('pointercancel');
    expect(r.told.slice(1)).toEqual(['map-on', 'map-off', 'map-on', 'map-off']);
  });

  it('counts a wheel on the map as working it until the wheel has been still for the set time', () => {
    const r = rig(400);
    r.inputYield.attach(r.win, r.doc);
    r.fire('wheel', 'map');
    vi.advanceTimersByTime(300);
    r.fire('wheel', 'map');
    r.fire('pointerup', 'map'); // a pointer up inside a wheel gesture does not end it
    vi.advanceTimersByTime(399);
    expect(r.told.slice(1)).toEqual(['map-on', 'map-on']);
    vi.advanceTimersByTime(1);
    expect(r.told.slice(1)).toEqual(['map-on', 'map-on', 'map-off']);
  });

  it('hears nothing after detach, and a pending wheel end does not fire', () => {
    const r = rig(400);
    r.inputYield.attach(r.win, r.doc);
    r.fire('wheel', 'map');
    r.inputYield.detach();
    const before = r.told.length;
    for (const type of ['pointerdown', 'pointermove', 'keydown', 'wheel', 'pointerup', 'pointercancel']) r.fire(type);
    r.doc.dispatchEvent(new Event('visibilitychange'));
    vi.advanceTimersByTime(1_000);
    expect(r.told.length).toBe(before);
    expect(vi.getTimerCount()).toBe(0);
  });
});
