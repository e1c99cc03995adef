/**
 * Label collisions (issue 17: "王芳 on 市北区"): the text layers drawn centred on their anchor —
 * district names and the offline base's place names — join one deck.gl collision group, and where
 * two overlap the one with the higher priority is drawn (district names over place names).
 * deck.gl's CollisionFilterExtension renders the group into a small offscreen map when the view or
 * the labels change, not on every frame.
 *
 * People's names stay out of the group: deck.gl decides a label's visibility at its anchor, and a
 * name drawn 16 px above its person's dot (getPixelOffset) never covers its own anchor, so deck.gl
 * hides it always (visgl/deck.gl#8104) — they are cleared on the CPU instead (name-clearance.ts).
 * For the same reason no label in the group may be drawn away from its anchor.
 */
import type { Layer } from '@deck.gl/core';
import { CollisionFilterExtension } from '@deck.gl/extensions';

/** Which kind of label a text layer draws. */
export type LabelRole = 'district' | 'place';

/** Higher wins (deck.gl range −1000…1000). */
export const LABEL_PRIORITY: Record<LabelRole, number> = {
  district: 300,
  place: 100,
};

/** The collision group all map labels share. */
export const LABEL_COLLISION_GROUP = 'map-labels';
/** A label's collision box is this much bigger than its text: a little air between names. */
export const LABEL_COLLISION_MARGIN = 1.25;

/** The text layers of other modules that join the group (the offline base's place names). */
export const LABEL_ROLE_BY_LAYER_ID: Readonly<Record<string, LabelRole>> = {
  'district-labels': 'district',
  'offline-place-labels': 'place',
};

export interface LabelCollisionProps {
  extensions: CollisionFilterExtension[];
  collisionEnabled: true;
  collisionGroup: string;
  getCollisionPriority: number;
  collisionTestProps: { sizeScale: number };
}

/** one extension instance for every layer: deck.gl re-initialises a layer whose extensions changed */
const EXTENSIONS = [new CollisionFilterExtension()];
const memo = new Map<string, LabelCollisionProps>();

/**
 * Props that put a text layer of `role` into the label group, the same object for the same
 * arguments (deck.gl diffs props by identity). `pixelScale` is the layer's own sizeScale.
 */
export function labelCollisionProps(role: LabelRole, pixelScale = 1): LabelCollisionProps {
  const key = `${role}|${pixelScale}`;
  let props = memo.get(key);
  if (!props) {
    props = {
      extensions: EXTENSIONS,
      collisionEnabled: true,
      collisionGroup: LABEL_COLLISION_GROUP,
      getCollisionPriority: LABEL_PRIORITY[role],
      collisionTestProps: { sizeScale: pixelScale * LABEL_COLLISION_MARGIN },
    };
    memo.set(key, props);
  }
  return props;
}

/** The map's layers with the other modules' text layers (LABEL_ROLE_BY_LAYER_ID) put into the label group. */
export function withLabelCollisions(layers: Layer[]): Layer[] {
  return layers.map((layer) => {
    const role = LABEL_ROLE_BY_LAYER_ID[layer.id];
    if (!role || (layer.props as { collisionGroup?: string }).collisionGroup === LABEL_COLLISION_GROUP) return layer;
    const sizeScale = (layer.props as { sizeScale?: number }).sizeScale ?? 1;
    return layer.clone(labelCollisionProps(role, sizeScale) as unknown as Parameters<typeof layer.clone>[0]);
  });
}
