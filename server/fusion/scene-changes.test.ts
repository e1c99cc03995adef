import { describe, expect, it } from 'vitest';
import { SceneChanges } from './scene-changes';

describe('SceneChanges', () => {
  it('marks the overview dirty with any scene, and hands each dirty scene out once', () => {
    const c = new SceneChanges({ statusLogMax: 10 });
    c.markDirty('water');
    expect(c.isDirty('water')).toBe(true);
    expect(new Set(c.takeDirty())).toEqual(new Set(['water', 'overview']));
    expect(c.takeDirty()).toEqual([]);
    expect(c.isDirty('water')).toBe(false);
  });

  it('takes only the scenes asked for and leaves the others dirty', () => {
    const c = new SceneChanges({ statusLogMax: 10 });
    c.markDirty('water');
    c.markDirty('bridge');
    expect(c.takeDirty(['bridge', 'community'])).toEqual(['bridge']);
    expect(c.isDirty('water')).toBe(true);
    expect(c.isDirty('overview')).toBe(true);
  });

  it('lists the devices whose status changed since an epoch, and gives up past a full reset or the log bound', () => {
    const c = new SceneChanges({ statusLogMax: 2 });
    const e0 = c.statusEpoch;
    c.bumpStatus('a');
    c.bumpStatus('b');
    expect(c.statusChangedSince(e0)).toEqual(new Set(['a', 'b']));
    c.bumpStatus('c');
    expect(c.statusChangedSince(e0)).toBeNull(); // 'a' fell out of the log
    const e1 = c.statusEpoch;
    c.bumpStatus(null);
    expect(c.statusChangedSince(e1)).toBeNull();
    expect(c.statusChangedSince(c.statusEpoch)).toEqual(new Set());
  });
});
