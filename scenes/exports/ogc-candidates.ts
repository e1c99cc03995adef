/**
 * OGC items before they are built: what a query needs to select and page an item (id, bounding
 * box, time span) and a function that builds its GeoJSON feature, called for the returned page
 * only — a GIS client paging 100 of 20,000 devices must not pay for 20,000 features per request.
 * Pure. Candidates are sorted by id, so paging is stable between requests.
 *
 * Time spans (epoch ms; end null = still ongoing): devices and assets their last registry change
 * (an instant); open incidents from creation, active alerts from their first observation, both
 * open-ended. Null = no time, and no `datetime` query matches the item.
 */
import type { Alert, Incident } from '../domain';
import { isIncidentOpen } from '../incident-rules';
import {
  alertFeature,
  assetFeature,
  deviceFeature,
  geometryBBox,
  isExportedAlert,
  isExportedAsset,
  isExportedDevice,
  sortById,
  incidentFeature,
  type ExportAssetInput,
  type ExportDeviceInput,
  type ExportDeviceState,
  type ExportFeature,
} from './geojson';

export type BBox4 = readonly [number, number, number, number];
export type TimeSpan = readonly [number, number | null];

export interface OgcCandidate {
  id: string;
  /** [minLng, minLat, maxLng, maxLat] of its geometry */
  bbox: BBox4;
  span: TimeSpan | null;
  feature: () => ExportFeature;
}

const instant = (ts: number | undefined): TimeSpan | null => (ts === undefined ? null : [ts, ts]);

export function deviceCandidates(devices: readonly ExportDeviceInput[], stateOf: (id: string) => ExportDeviceState | undefined): OgcCandidate[] {
  return sortById(
    devices.filter(isExportedDevice).map((d) => ({
      id: d.id,
      bbox: [d.location[0], d.location[1], d.location[0], d.location[1]] as const,
      span: instant(d.updatedTs),
      feature: () => deviceFeature(d, stateOf(d.id)),
    })),
  );
}

export function assetCandidates(assets: readonly ExportAssetInput[]): OgcCandidate[] {
  return sortById(
    assets
      .filter(isExportedAsset)
      .map((a) => ({ id: a.id, bbox: geometryBBox(a.geometry), span: instant(a.updatedTs), feature: () => assetFeature(a) })),
  );
}

export function incidentCandidates(incidents: Iterable<Incident>): OgcCandidate[] {
  const out: OgcCandidate[] = [];
  for (const i of incidents)
    if (isIncidentOpen(i))
      out.push({
        id: i.id,
        bbox: [i.location[0], i.location[1], i.location[0], i.location[1]],
        span: [i.createdTs, null],
        feature: () => incidentFeature(i),
      });
  return sortById(out);
}

export function alertCandidates(alerts: Iterable<Alert>): OgcCandidate[] {
  const out: OgcCandidate[] = [];
  for (const a of alerts)
    if (isExportedAlert(a))
      out.push({
        id: a.id,
        bbox: [a.location[0], a.location[1], a.location[0], a.location[1]],
        span: [a.firstTs, null],
        feature: () => alertFeature(a),
      });
  return sortById(out);
}

/** A candidate of an already built feature (tests, small collections). */
export function featureCandidate(feature: ExportFeature, span: TimeSpan | null): OgcCandidate {
  return { id: feature.id, bbox: geometryBBox(feature.geometry), span, feature: () => feature };
}
