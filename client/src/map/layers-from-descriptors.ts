/**
 * The thin step from pure layer descriptors to deck.gl layer instances (cheap: deck.gl matches
 * them to the live layers by id and diffs props).
 */
import type { Layer } from '@deck.gl/core';
import { GeoJsonLayer, PathLayer, PolygonLayer, ScatterplotLayer, TextLayer } from '@deck.gl/layers';
import { HexagonLayer } from '@deck.gl/aggregation-layers';
import type { LayerDescriptor, LayerType } from './scene-to-layer-props';

type LayerConstructor = new (props: LayerDescriptor['props']) => Layer;

const LAYER_CONSTRUCTORS: Record<LayerType, LayerConstructor> = {
  GeoJsonLayer: GeoJsonLayer as unknown as LayerConstructor,
  TextLayer: TextLayer as unknown as LayerConstructor,
  PathLayer: PathLayer as unknown as LayerConstructor,
  PolygonLayer: PolygonLayer as unknown as LayerConstructor,
  ScatterplotLayer: ScatterplotLayer as unknown as LayerConstructor,
  HexagonLayer: HexagonLayer as unknown as LayerConstructor,
};

export function layersFromDescriptors(descriptors: readonly LayerDescriptor[]): Layer[] {
  return descriptors.map((d) => new LAYER_CONSTRUCTORS[d.type](d.props));
}
