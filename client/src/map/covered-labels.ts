/**
 * Labels the page would cover (issue 17: "李沧区 under a KPI card"): on the wall the KPI strip
 * lies over the top of the map box. The fit keeps the framed area below it, but a district whose
 * centre lies north of the frame would put its name under a card — such labels are left out
 * while they are there. Only the named label layers, only on a page that says what it covers.
 * On every map, district names that would run into one another, and a person's name that would
 * sit on a district's name or another person's, are left out too (name-clearance.ts).
 */
import type { LayerDescriptor } from './scene-to-layer-props';
import { labelsOnOthers } from './name-clearance';

/** The label layers checked (district names and people's names: the ones the cards hid). */
export const COVERABLE_LABEL_LAYER_IDS: ReadonlySet<string> = new Set(['district-labels', 'handler-labels']);

/** canvas px of a [lng, lat] in the current view */
export type Project = (p: [number, number]) => number[];

/** `d` with the data at `hidden` left out */
function withoutIndexes(d: LayerDescriptor, hidden: ReadonlySet<number>): LayerDescriptor {
  return { ...d, props: { ...d.props, data: (d.props.data as unknown[]).filter((_, i) => !hidden.has(i)) } };
}

interface Memo {
  source: unknown[];
  key: string;
  data: unknown[];
}

/** Indexes of `data` whose position is inside the covered top band. */
function coveredIndexes(data: unknown[], getPosition: (d: unknown) => [number, number], project: Project, coveredTopPx: number): number[] {
  const covered: number[] = [];
  data.forEach((d, i) => {
    const y = project(getPosition(d))[1];
    if (y !== undefined && y >= 0 && y < coveredTopPx) covered.push(i);
  });
  return covered;
}

export interface CoveredLabelFilter {
  /** the descriptors with covered labels left out; a label layer's data keeps its identity while the covered set is unchanged */
  apply(descriptors: LayerDescriptor[], project: Project | null, coveredTopPx: number): LayerDescriptor[];
  /** true when the covered labels in the view differ from the last `apply` (the view moved) */
  changed(project: Project | null, coveredTopPx: number): boolean;
}

export function createCoveredLabelFilter(): CoveredLabelFilter {
  const memo = new Map<string, Memo>();
  let last: LayerDescriptor[] = [];

  const positionOf = (d: LayerDescriptor) => d.props.getPosition as ((x: unknown) => [number, number]) | undefined;
  const keys = (descriptors: LayerDescriptor[], project: Project | null, coveredTopPx: number) => {
    const districtNames = descriptors.find((d) => d.props.id === 'district-labels');
    // district names that would run into one another (a small map, English names): the later ones
    // in the city's district order are left out (name-clearance.ts); people then keep clear of
    // the district names that stay
    const namesInTheWay = districtNames && project ? labelsOnOthers(districtNames, undefined, project) : [];
    const keptNames = namesInTheWay.length === 0 ? districtNames : withoutIndexes(districtNames!, new Set(namesInTheWay));
    return descriptors.map((d) => {
      const getPosition = positionOf(d);
      if (!project || !COVERABLE_LABEL_LAYER_IDS.has(d.props.id) || !Array.isArray(d.props.data) || !getPosition) return '';
      const covered = coveredTopPx > 0 ? coveredIndexes(d.props.data as unknown[], getPosition, project, coveredTopPx) : [];
      // people's names on a district's name or on each other, district names on each other (name-clearance.ts)
      const onOthers = d.props.id === 'handler-labels' ? labelsOnOthers(d, keptNames, project) : d === districtNames ? namesInTheWay : [];
      return onOthers.length === 0 ? covered.join(',') : [...new Set([...covered, ...onOthers])].sort((a, b) => a - b).join(',');
    });
  };

  return {
    apply(descriptors, project, coveredTopPx) {
      const ks = keys(descriptors, project, coveredTopPx);
      last = descriptors;
      return descriptors.map((d, i) => {
        const key = ks[i]!;
        const prev = memo.get(d.props.id);
        if (key === '') {
          if (prev) memo.delete(d.props.id);
          return d;
        }
        const source = d.props.data as unknown[];
        if (!prev || prev.source !== source || prev.key !== key) {
          const hidden = new Set(key.split(',').map(Number));
          memo.set(d.props.id, { source, key, data: source.filter((_, j) => !hidden.has(j)) });
        }
        return { ...d, props: { ...d.props, data: memo.get(d.props.id)!.data } };
      });
    },
    changed(project, coveredTopPx) {
      const ks = keys(last, project, coveredTopPx);
      return last.some((d, i) => (memo.get(d.props.id)?.key ?? '') !== ks[i]);
    },
  };
}
