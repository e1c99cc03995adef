import { describe, expect, it } from 'vitest';
import type { SceneModel } from '@scenes/scene-model';
import { toIncidentItem } from '@scenes/builders/common';
import { MINUTE_MS, T0, makeIncident } from '@scenes/storm/fixtures/storm-fixtures';
import { LAYER_IDS, sceneToLayerProps, type LayerOptions } from '../../map/scene-to-layer-props';
import { MAP_RGBA } from '../../theme/palette';

function model(incidents: SceneModel['incidents']): SceneModel {
  return { scene: 'overview', generatedTs: 1, kpis: [], devices: [], alerts: [], incidents, handlers: [], assets: [], resources: [], charts: {} };
}

describe('an overdue incident is red on the map', () => {
  const late = toIncidentItem(makeIncident('LATE', { slaDueTs: T0 + 10 * MINUTE_MS }));
  const onTime = toIncidentItem(makeIncident('OK', { slaDueTs: T0 + 60 * MINUTE_MS }));
  const layerAt = (nowTs: number) => {
    const opts: LayerOptions = { nowTs, pulseTs: 0, zoom: 12, lang: 'zh' };
    return sceneToLayerProps(model([late, onTime]), opts).find((l) => l.props.id === LAYER_IDS.incidents)!;
  };

  it('fills an incident past its resolution deadline red, the others as before', () => {
    const layer = layerAt(T0 + 20 * MINUTE_MS);
    const fill = layer.props.getFillColor as (i: typeof late) => unknown;
    expect(fill(late)).toEqual(MAP_RGBA.incidentOverdueFill);
    expect(fill(onTime)).toEqual(MAP_RGBA.incidentFill);
  });

  it('redraws the fill only when the set of overdue incidents changes', () => {
    const trigger = (ts: number) => (layerAt(ts).props.updateTriggers as { getFillColor: string }).getFillColor;
    expect(trigger(T0 + 5 * MINUTE_MS)).toBe(trigger(T0 + 6 * MINUTE_MS));
    expect(trigger(T0 + 20 * MINUTE_MS)).not.toBe(trigger(T0 + 5 * MINUTE_MS));
    expect(trigger(T0 + 20 * MINUTE_MS)).toBe(trigger(T0 + 30 * MINUTE_MS));
  });
});
