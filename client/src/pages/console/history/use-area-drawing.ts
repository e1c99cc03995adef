/**
 * The drawing on the history view's area map (issue 16): which tool is chosen, the vertices or
 * corner placed so far, the rubber band to the pointer, and what a click does with each tool:
 * - rect: the first click places a corner, the second the opposite one and finishes the box;
 * - polygon: each click adds a vertex (the server's vertex limit refused with a message); a
 *   double-click or 完成 closes it;
 * - district: a click picks the district under it.
 * A finished area goes to `onArea`; the map component only turns this state into layers.
 */
import { computed, ref, shallowRef } from 'vue';
import type { DistrictCode, LngLat } from '@scenes/domain';
import { districtOf } from '@scenes/geo/districts';
import { t } from '../../../i18n/i18n';
import {
  addVertex,
  AREA_MAX_VERTICES,
  closePolygon,
  rectangleFromCorners,
  rectangleRing,
  roundLngLat,
  type HistoryArea,
  type PolygonProblem,
} from './history-area';

/** 'pan': move the map and click a dot to select it; the others draw or pick on a click */
export type AreaTool = 'pan' | 'rect' | 'polygon' | 'district';
export const DRAWING_TOOLS = ['rect', 'polygon', 'district'] as const;

/** The message of an area the search cannot take. */
export function areaProblemText(p: PolygonProblem | 'malformed'): string {
  switch (p) {
    case 'too_many':
      return t('history.area.tooMany', { max: AREA_MAX_VERTICES });
    case 'too_few':
      return t('history.area.tooFew');
    case 'malformed':
      return t('history.area.malformed');
    default: {
      const unreachable: never = p;
      return unreachable;
    }
  }
}

export function useAreaDrawing(on: { area: (area: HistoryArea) => void; district: (code: DistrictCode) => void }) {
  const tool = ref<AreaTool>('pan');
  /** polygon: the vertices so far; rectangle: its first corner */
  const draft = shallowRef<LngLat[]>([]);
  /** where the pointer is while drawing (the rubber band's end) */
  const pointer = shallowRef<LngLat | null>(null);
  /** what the last click could not do, '' when nothing */
  const notice = ref('');

  /** the rectangle between the first corner and the pointer */
  const previewRings = computed(() => {
    const corner = draft.value[0];
    if (tool.value !== 'rect' || !corner || !pointer.value) return [];
    const bbox = rectangleFromCorners(corner, pointer.value);
    return bbox ? [rectangleRing(bbox)] : [];
  });
  /** the polygon's edges so far, on to the pointer and back to the first vertex */
  const draftPath = computed(() => {
    const v = draft.value;
    if (tool.value !== 'polygon' || v.length === 0) return [];
    return pointer.value ? [...v, pointer.value, v[0]!] : v;
  });

  const hint = computed(() => {
    switch (tool.value) {
      case 'pan':
        return t('history.area.hint.pan');
      case 'rect':
        return draft.value.length === 0 ? t('history.area.hint.rect') : t('history.area.hint.rectSecond');
      case 'polygon':
        return t('history.area.hint.polygon', { n: draft.value.length });
      case 'district':
        return t('history.area.hint.district');
      default: {
        const unreachable: never = tool.value;
        return unreachable;
      }
    }
  });

  /** forgets the drawing in progress (the tool stays chosen) */
  function discard(): void {
    draft.value = [];
    pointer.value = null;
    notice.value = '';
  }

  function choose(next: AreaTool): void {
    tool.value = tool.value === next ? 'pan' : next;
    discard();
  }

  function finish(area: HistoryArea): void {
    tool.value = 'pan';
    discard();
    on.area(area);
  }

  function clickRectangle(p: LngLat): void {
    const corner = draft.value[0];
    if (!corner) {
      draft.value = [roundLngLat(p)];
      return;
    }
    const bbox = rectangleFromCorners(corner, p);
    if (bbox) finish({ kind: 'bbox', bbox });
    else notice.value = t('history.area.emptyRect');
  }

  function clickPolygon(p: LngLat): void {
    const r = addVertex(draft.value, p);
    if (r.ok) draft.value = r.vertices;
    else notice.value = areaProblemText(r.problem);
  }

  function finishPolygon(): void {
    if (tool.value !== 'polygon') return;
    const r = closePolygon(draft.value);
    if (r.ok) finish({ kind: 'polygon', ring: r.ring });
    else notice.value = areaProblemText(r.problem);
  }

  function clickDistrict(p: LngLat): void {
    const code = districtOf(p);
    if (!code) {
      notice.value = t('history.area.noDistrict');
      return;
    }
    tool.value = 'pan';
    on.district(code);
  }

  /** a click on the map at `p` with a drawing tool ('pan' clicks select dots: the map's business) */
  function click(p: LngLat): void {
    notice.value = '';
    switch (tool.value) {
      case 'pan':
        return;
      case 'rect':
        return clickRectangle(p);
      case 'polygon':
        return clickPolygon(p);
      case 'district':
        return clickDistrict(p);
      default: {
        const unreachable: never = tool.value;
        return unreachable;
      }
    }
  }

  /** the pointer moved to `p` (null: off the map) */
  function hover(p: LngLat | null): void {
    const drawing = (tool.value === 'rect' || tool.value === 'polygon') && draft.value.length > 0;
    const next = drawing ? p : null;
    if (next || pointer.value) pointer.value = next;
  }

  return { tool, draft, notice, previewRings, draftPath, hint, choose, click, hover, finishPolygon, discard };
}
