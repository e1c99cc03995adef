import { describe, expect, it } from 'vitest';
import type { DistrictCode } from '@scenes/domain';
import { CLIENT_CONFIG } from '../client-config';
import { districtBounds } from './district-layers';
import { createMapViewControl } from './map-view-control';
import type { MapPadding, MapViewState } from './view-state';
import { initialQingdaoView } from './view-state';

type SetViewProps = { initialViewState: MapViewState & { transitionDuration?: number } };

/** A view control over a fake deck that records the views it was given. */
function rig(opts: { fitPadding?: MapPadding } = {}) {
  const box = { width: 900, height: 700 };
  const views: SetViewProps['initialViewState'][] = [];
  const events: string[] = [];
  let district: DistrictCode | null = null;
  const control = createMapViewControl({
    box: () => box,
    deck: () => ({ setProps: (p) => views.push((p as SetViewProps).initialViewState) }),
    fitPadding: () => opts.fitPadding,
    district: () => district,
    onViewChanged: () => events.push('changed'),
    onUserMoved: () => events.push('user-moved'),
    onZoomBandChanged: () => events.push('band'),
  });
  control.initialViewState();
  return { box, views, events, control, drill: (code: DistrictCode | null) => (district = code) };
}

const panned = (zoom: number): MapViewState => ({ longitude: 120.5, latitude: 36.2, zoom, pitch: 0, bearing: 0 });

describe('map view control', () => {
  it('starts at the urban-area fit of its box, within the zoom limits', () => {
    const { control } = rig();
    const first = control.initialViewState();
    expect(first).toMatchObject(initialQingdaoView(900, 700));
    expect(first.minZoom).toBeLessThan(first.zoom);
    expect(first.maxZoom).toBeGreaterThan(first.zoom);
  });

  it('follows the box until a person pans, then keeps the view until it flies home', () => {
    const { box, views, events, control } = rig();
    box.width = 1800;
    control.refit();
    expect(views.at(-1)!.zoom).toBeCloseTo(initialQingdaoView(1800, 700).zoom, 9);
    control.onViewStateChange(panned(views.at(-1)!.zoom), { isDragging: true });
    control.onViewStateChange(panned(views.at(-1)!.zoom), { isPanning: true });
    expect(events.filter((e) => e === 'user-moved')).toHaveLength(1);
    const count = views.length;
    box.width = 600;
    control.refit();
    expect(views).toHaveLength(count);
    control.flyHome(CLIENT_CONFIG.flyToDurationMs / 2);
    expect(views.at(-1)!.transitionDuration).toBe(CLIENT_CONFIG.flyToDurationMs / 2);
    control.refit();
    expect(views.at(-1)!.zoom).toBeCloseTo(initialQingdaoView(600, 700).zoom, 9);
  });

  it('keeps a focused view like a pan: no re-fit on resize', () => {
    const { views, control } = rig();
    control.flyTo([120.38, 36.07]);
    expect(views.at(-1)).toMatchObject({ zoom: CLIENT_CONFIG.flyToZoom, transitionDuration: CLIENT_CONFIG.flyToDurationMs });
    control.refit();
    expect(views).toHaveLength(1);
  });

  it('frames the drilled district at home', () => {
    const { views, control, drill } = rig();
    drill('370202');
    control.flyHome(CLIENT_CONFIG.flyToDurationMs);
    const [[west, south], [east, north]] = districtBounds('370202')!;
    const home = views.at(-1)!;
    expect(home.longitude).toBeGreaterThan(west);
    expect(home.longitude).toBeLessThan(east);
    expect(home.latitude).toBeGreaterThan(south);
    expect(home.latitude).toBeLessThan(north);
    expect(home.zoom).toBeGreaterThan(initialQingdaoView(900, 700).zoom);
  });

  it('tells when a view settles and when the zoom changes band, not during a fly-to', () => {
    const { events, control } = rig();
    control.flyTo([120.38, 36.07]);
    expect(events).toEqual([]);
    expect(control.zoom()).toBe(CLIENT_CONFIG.flyToZoom);
    control.onViewStateChange(panned(12.5), {});
    control.onViewStateChange(panned(12.6), {});
    control.onViewStateChange(panned(10), {});
    expect(events).toEqual(['changed', 'changed', 'changed', 'band']);
    expect(control.zoom()).toBe(10);
  });

  it('projects on every page once there is a view (name clearance needs it on the console too)', () => {
    const bare = rig().control.project()!;
    expect(bare([120.34, 36.13])[0]).toBeGreaterThan(0);
    const project = rig({ fitPadding: { top: 100, right: 0, bottom: 0, left: 0 } }).control.project()!;
    const [x, y] = project([120.34, 36.13]);
    expect(x).toBeGreaterThan(0);
    expect(x).toBeLessThan(900);
    expect(y).toBeGreaterThan(0);
    expect(y).toBeLessThan(700);
  });
});
