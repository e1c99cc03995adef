/**
 * Scene diff: `put | remove` by id between two scene models (tldraw style), pure.
 *
 * Invariant: `applySceneDelta(a, diffScene(a, b) ?? { generatedTs: b.generatedTs })` deep-equals
 * `b`, including the order of every collection.
 *
 * Order semantics of one collection diff, as applied:
 *   1. every id in `remove` is dropped;
 *   2. every put whose id is still present replaces that item *in place*;
 *   3. every other put is appended, in the order of `put`.
 * So an item can only move by being removed and put again (it lands at the end). `diffScene`
 * keeps the longest prefix of `next` whose items already exist in `prev` in the same relative
 * order; every item after that prefix that existed before is moved (remove + put), new ones are
 * put. Builders sort collections by stable keys, so in the common case (values change, order
 * does not) only changed items travel.
 *
 * Identity: a collection, `kpis` or `charts` absent from the delta keeps its array/object
 * identity after apply — deck.gl relies on `data` identity to skip work.
 */
import type { ChartData, CollectionDiff, DevicePoint, SceneCollection, SceneDelta, SceneModel, WarningItem } from './scene-model';
import { SCENE_COLLECTIONS } from './scene-model';

/** Ids that must never be used as keys from the wire (prototype pollution). */
export const RESERVED_IDS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

interface Identified {
  id: string;
}

type ItemEqual<T> = (a: T, b: T) => boolean;

/** Structural equality of JSON-like values (primitives, arrays, plain objects). */
export function jsonValueEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // NaN never appears in scene models (JSON cannot carry it), so no special case.
    return false;
  }
  const aIsArray = Array.isArray(a);
  if (aIsArray !== Array.isArray(b)) return false;
  if (aIsArray) {
    const aa = a as unknown[];
    const bb = b as unknown[];
    if (aa.length !== bb.length) return false;
    for (let i = 0; i < aa.length; i++) if (!jsonValueEqual(aa[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let aCount = 0;
  for (const key in ao) {
    if (!Object.prototype.hasOwnProperty.call(ao, key)) continue;
    const av = ao[key];
    // An absent key and a key holding `undefined` are the same thing once serialised.
    if (av === undefined) {
      if (bo[key] !== undefined) return false;
      continue;
    }
    aCount++;
    if (!Object.prototype.hasOwnProperty.call(bo, key) || !jsonValueEqual(av, bo[key])) return false;
  }
  let bCount = 0;
  for (const key in bo) {
    if (Object.prototype.hasOwnProperty.call(bo, key) && bo[key] !== undefined) bCount++;
  }
  return aCount === bCount;
}

/** Hand-written compare for the hot `devices` collection (up to ~100k points per model). */
export function devicePointEqual(a: DevicePoint, b: DevicePoint): boolean {
  return a.id === b.id && a.s === b.s && a.p[0] === b.p[0] && a.p[1] === b.p[1] && a.kind === b.kind && a.a === b.a;
}

function diffCollection<T extends Identified>(prev: readonly T[], next: readonly T[], equal: ItemEqual<T>): CollectionDiff<T> | null {
  if (prev === next) return null;
  // Fast path (the common frame: same items in the same order, a few changed): a pairwise walk,
  // no index maps; unchanged items are usually the very same objects.
  if (prev.length === next.length) {
    const put: T[] = [];
    let sameOrder = true;
    for (let k = 0; k < next.length; k++) {
      const a = prev[k]!;
      const b = next[k]!;
      if (a.id !== b.id) {
        sameOrder = false;
        break;
      }
      if (a !== b && !equal(a, b)) put.push(b);
    }
    if (sameOrder) return put.length > 0 ? { put } : null;
  }
  const prevIndex = new Map<string, number>();
  for (let i = 0; i < prev.length; i++) prevIndex.set(prev[i].id, i);
  const nextIds = new Set<string>();
  for (const item of next) nextIds.add(item.id);

  const put: T[] = [];
  const remove: string[] = [];
  for (const item of prev) if (!nextIds.has(item.id)) remove.push(item.id);

  // Longest prefix of `next` that already sits in `prev` in the same relative order.
  let lastPrevIndex = -1;
  let i = 0;
  for (; i < next.length; i++) {
    const at = prevIndex.get(next[i].id);
    if (at === undefined || at <= lastPrevIndex) break;
    lastPrevIndex = at;
    if (!equal(prev[at], next[i])) put.push(next[i]);
  }
  // Everything after the prefix is appended on apply: moved items must be removed first.
  for (; i < next.length; i++) {
    const item = next[i];
    if (prevIndex.has(item.id)) remove.push(item.id);
    put.push(item);
  }

  if (put.length === 0 && remove.length === 0) return null;
  const diff: CollectionDiff<T> = {};
  if (put.length > 0) diff.put = put;
  if (remove.length > 0) diff.remove = remove;
  return diff;
}

function assertSafeId(id: string, where: string): void {
  if (RESERVED_IDS.has(id)) throw new Error(`E_VALIDATION: reserved id '${id}' in ${where}`);
}

function applyCollection<T extends Identified>(items: T[], diff: CollectionDiff<T>, where: string): T[] {
  const removeIds = new Set<string>();
  for (const id of diff.remove ?? []) {
    assertSafeId(id, where);
    removeIds.add(id);
  }
  const puts = new Map<string, T>();
  for (const item of diff.put ?? []) {
    assertSafeId(item.id, where);
    puts.set(item.id, item);
  }
  const result: T[] = [];
  const placed = new Set<string>();
  for (const item of items) {
    if (removeIds.has(item.id)) continue;
    const replacement = puts.get(item.id);
    if (replacement !== undefined) {
      result.push(replacement);
      placed.add(item.id);
    } else {
      result.push(item);
    }
  }
  for (const item of diff.put ?? []) if (!placed.has(item.id)) result.push(item);
  return result;
}

function chartsEqual(a: ChartData, b: ChartData): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** Equality used per collection; `devices` gets the hand-written fast path. */
const COLLECTION_EQUAL: Record<SceneCollection, ItemEqual<Identified>> = {
  devices: devicePointEqual as unknown as ItemEqual<Identified>,
  alerts: jsonValueEqual,
  incidents: jsonValueEqual,
  handlers: jsonValueEqual,
  assets: jsonValueEqual,
  resources: jsonValueEqual,
};

/**
 * The change from `prev` to `next`, or null when nothing but `generatedTs` changed.
 * Both models must be of the same scene.
 */
export function diffScene(prev: SceneModel, next: SceneModel): SceneDelta | null {
  if (prev.scene !== next.scene) throw new Error(`cannot diff scene '${prev.scene}' against '${next.scene}'`);
  const delta: SceneDelta = { generatedTs: next.generatedTs };
  let changed = false;

  if (!jsonValueEqual(prev.kpis, next.kpis)) {
    delta.kpis = next.kpis;
    changed = true;
  }

  for (const key of SCENE_COLLECTIONS) {
    const diff = diffCollection<Identified>(prev[key], next[key], COLLECTION_EQUAL[key]);
    if (diff !== null) {
      (delta as unknown as Record<SceneCollection, CollectionDiff<Identified>>)[key] = diff;
      changed = true;
    }
  }

  // area warnings (issue 14): an optional collection, present on the scenes that show them
  if (prev.warnings !== undefined || next.warnings !== undefined) {
    const diff = diffCollection<Identified>(prev.warnings ?? [], next.warnings ?? [], jsonValueEqual);
    if (diff !== null) {
      delta.warnings = diff as CollectionDiff<WarningItem>;
      changed = true;
    }
  }

  if (prev.charts !== next.charts) {
    const put: Record<string, ChartData> = {};
    const remove: string[] = [];
    let putCount = 0;
    for (const key of Object.keys(next.charts)) {
      const before = Object.prototype.hasOwnProperty.call(prev.charts, key) ? prev.charts[key] : undefined;
      if (before === undefined || !chartsEqual(before, next.charts[key])) {
        put[key] = next.charts[key];
        putCount++;
      }
    }
    for (const key of Object.keys(prev.charts)) {
      if (!Object.prototype.hasOwnProperty.call(next.charts, key)) remove.push(key);
    }
    if (putCount > 0 || remove.length > 0) {
      delta.charts = {};
      if (putCount > 0) delta.charts.put = put;
      if (remove.length > 0) delta.charts.remove = remove;
      changed = true;
    }
  }

  return changed ? delta : null;
}

/**
 * A new model with `delta` applied to `model` (which is not mutated). Collections, `kpis` and
 * `charts` the delta does not touch keep their identity. Throws on reserved ids
 * ('__proto__', 'constructor', 'prototype') anywhere in the delta.
 */
export function applySceneDelta(model: SceneModel, delta: SceneDelta): SceneModel {
  const result: SceneModel = { ...model, generatedTs: delta.generatedTs };
  if (delta.kpis !== undefined) {
    for (const kpi of delta.kpis) assertSafeId(kpi.id, 'kpis');
    result.kpis = delta.kpis;
  }
  for (const key of SCENE_COLLECTIONS) {
    const diff = delta[key] as CollectionDiff<Identified> | undefined;
    if (diff === undefined) continue;
    (result as unknown as Record<SceneCollection, Identified[]>)[key] = applyCollection(model[key], diff, key);
  }
  if (delta.warnings !== undefined) result.warnings = applyCollection(model.warnings ?? [], delta.warnings, 'warnings');
  if (delta.charts !== undefined) {
    const charts: Record<string, ChartData> = {};
    const removeKeys = new Set<string>();
    for (const key of delta.charts.remove ?? []) {
      assertSafeId(key, 'charts');
      removeKeys.add(key);
    }
    const put = delta.charts.put ?? {};
    const putKeys = Object.keys(put);
    for (const key of putKeys) assertSafeId(key, 'charts');
    for (const key of Object.keys(model.charts)) if (!removeKeys.has(key)) charts[key] = model.charts[key];
    for (const key of putKeys) charts[key] = put[key];
    result.charts = charts;
  }
  return result;
}

/** true when the delta changes nothing but `generatedTs`. */
export function isEmptyDelta(d: SceneDelta): boolean {
  if (d.kpis !== undefined) return false;
  for (const key of SCENE_COLLECTIONS) {
    const diff = d[key];
    if (diff !== undefined && ((diff.put?.length ?? 0) > 0 || (diff.remove?.length ?? 0) > 0)) return false;
  }
  if (d.warnings !== undefined && ((d.warnings.put?.length ?? 0) > 0 || (d.warnings.remove?.length ?? 0) > 0)) return false;
  if (d.charts !== undefined && (Object.keys(d.charts.put ?? {}).length > 0 || (d.charts.remove?.length ?? 0) > 0)) return false;
  return true;
}
