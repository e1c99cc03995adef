/**
 * People's names never sit on a district's name or on each other (a wall at 3 m: "王芳" over
 * "市北区" read as neither), and district names never run into one another (a small map, the
 * longer English names). deck.gl's collision filter cannot do it: it tests a label at its anchor,
 * and a name drawn above its person's dot would always be hidden (visgl/deck.gl#8104); across text
 * layers it also fades or cuts a partly overlapping one (visgl/deck.gl#9479). So the overlap is
 * decided here, on the CPU, from the labels' screen boxes:
 * a handler whose name box meets a district name's box, or a name kept before, is drawn without
 * its name (the dot stays, and its card still names them). The boxes are the text grown by
 * LABEL_COLLISION_MARGIN, the air deck.gl keeps between the names it places. A few dozen boxes per build.
 */
import type { LayerDescriptor } from './scene-to-layer-props';
import type { Project } from './covered-labels';
import { LABEL_COLLISION_MARGIN } from './label-collisions';

/** [x0, y0, x1, y1] in canvas px */
export type Box = readonly [number, number, number, number];

/** Air around a district name a person's name must keep, px (at sizeScale 1). */
export const NAME_CLEARANCE_PX = 2;

/** Width of `text` in ems: CJK characters are square, Latin ones about 0.6 em. */
export function textWidthEm(text: string): number {
  let w = 0;
  for (const ch of text) w += ch.codePointAt(0)! >= 0x2e80 ? 1 : 0.6;
  return w;
}

/** The screen box of a centred one-line label at `anchor` (+ pixel offset), `sizePx` high. */
export function labelBox(anchor: readonly number[], text: string, sizePx: number, offset: readonly number[] = [0, 0], pad = 0): Box {
  const x = anchor[0]! + (offset[0] ?? 0);
  const y = anchor[1]! + (offset[1] ?? 0);
  const halfW = (textWidthEm(text) * sizePx) / 2 + pad;
  const halfH = sizePx / 2 + pad;
  return [x - halfW, y - halfH, x + halfW, y + halfH];
}

export const boxesMeet = (a: Box, b: Box): boolean => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

interface TextProps {
  data: unknown[];
  getPosition: (d: unknown) => [number, number];
  getText: (d: unknown) => string;
  /** height of the label's collision box on screen, px (getSize × sizeScale × LABEL_COLLISION_MARGIN) */
  size: number;
  /** the layer's sizeScale (2 on a 4K wall) */
  scale: number;
  offset: readonly number[];
}

/** What a text layer descriptor draws, when it is a visible one with plain accessors. */
function textPropsOf(d: LayerDescriptor | undefined): TextProps | null {
  if (!d || d.type !== 'TextLayer' || !d.props.visible || !Array.isArray(d.props.data)) return null;
  const { getPosition, getText, getSize, sizeScale, getPixelOffset } = d.props as Record<string, unknown>;
  if (typeof getPosition !== 'function' || typeof getText !== 'function' || typeof getSize !== 'number') return null;
  return {
    data: d.props.data as unknown[],
    getPosition: getPosition as TextProps['getPosition'],
    getText: getText as TextProps['getText'],
    size: getSize * (typeof sizeScale === 'number' ? sizeScale : 1) * LABEL_COLLISION_MARGIN,
    scale: typeof sizeScale === 'number' ? sizeScale : 1,
    offset: Array.isArray(getPixelOffset) ? (getPixelOffset as number[]) : [0, 0],
  };
}

/**
 * Indexes of `labels` to leave out in the current view: those whose box meets one of `above`'s
 * boxes (people's names under district names), and those that would overlap a label of their own
 * layer kept before them (in data order: two handlers side by side read as one garbled name,
 * "赵敏杨磊"; "Shibei" running into "Laoshan" on a small map).
 */
export function labelsOnOthers(labels: LayerDescriptor | undefined, above: LayerDescriptor | undefined, project: Project): number[] {
  const l = textPropsOf(labels);
  if (!l || l.data.length === 0) return [];
  const a = textPropsOf(above);
  const pad = NAME_CLEARANCE_PX * l.scale;
  const taken: Box[] = a ? a.data.map((d) => labelBox(project(a.getPosition(d)), a.getText(d), a.size, a.offset, NAME_CLEARANCE_PX * a.scale)) : [];
  const out: number[] = [];
  l.data.forEach((d, i) => {
    const box = labelBox(project(l.getPosition(d)), l.getText(d), l.size, l.offset, pad);
    if (taken.some((b) => boxesMeet(box, b))) out.push(i);
    else taken.push(box);
  });
  return out;
}
