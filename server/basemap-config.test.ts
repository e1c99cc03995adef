import { describe, expect, it } from 'vitest';
import { basemapsFromEnv, basemapTileOrigins } from './basemap-config';

const TIANDITU_WMTS =
  'https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={TileMatrix}&TILEROW={TileRow}&TILECOL={TileCol}&tk=YOUR_TK';

describe('basemap settings from the environment', () => {
  it('has no basemap (offline only) when nothing is set', () => {
    expect(basemapsFromEnv({})).toEqual([]);
  });

  it('reads one XYZ basemap with subdomains, zooms, datum and attribution', () => {
    const [b, ...rest] = basemapsFromEnv({
      IOC_BASEMAP_URL: 'https://webrd0{s}.is.autonavi.com/appmaptile?style=8&x={x}&y={y}&z={z}',
      IOC_BASEMAP_SUBDOMAINS: '1, 2,3,4',
      IOC_BASEMAP_ATTRIBUTION: '© 高德地图',
      IOC_BASEMAP_MIN_ZOOM: '3',
      IOC_BASEMAP_MAX_ZOOM: '18',
      IOC_BASEMAP_DATUM: 'GCJ02',
    });
    expect(rest).toEqual([]);
    expect(b).toMatchObject({ id: 'default', subdomains: ['1', '2', '3', '4'], minZoom: 3, maxZoom: 18, datum: 'gcj02', attribution: '© 高德地图' });
  });

  it('accepts a 天地图 WMTS KVP template with an annotation layer', () => {
    const [b] = basemapsFromEnv({
      IOC_BASEMAP_URL: TIANDITU_WMTS,
      IOC_BASEMAP_ANNOTATION_URL: TIANDITU_WMTS.replaceAll('vec', 'cva'),
      IOC_BASEMAP_SUBDOMAINS: '0,1,2,3,4,5,6,7',
      IOC_BASEMAP_DATUM: 'cgcs2000',
    });
    expect(b!.datum).toBe('cgcs2000');
    expect(basemapTileOrigins([b!])).toHaveLength(8);
  });

  it('reads several named basemaps from IOC_BASEMAPS after the single one', () => {
    const list = basemapsFromEnv({
      IOC_BASEMAP_URL: 'http://gis.city.local/tiles/{z}/{x}/{y}.png',
      IOC_BASEMAPS: JSON.stringify([{ id: 'imagery', name: '影像', kind: 'imagery', url: '/tiles/img/{z}/{x}/{y}.jpg' }]),
    });
    expect(list.map((b) => b.id)).toEqual(['default', 'imagery']);
    expect(basemapTileOrigins(list)).toEqual(['http://gis.city.local']);
  });

  it.each([
    ['a template without {x}', { IOC_BASEMAP_URL: 'https://tiles.example/{z}/{y}.png' }, /needs \{z\}, \{x\} and \{y\}/],
    ['an unknown placeholder', { IOC_BASEMAP_URL: 'https://tiles.example/{z}/{x}/{y}{r}.png' }, /unknown placeholder/],
    ['a non-http scheme', { IOC_BASEMAP_URL: 'file:///tiles/{z}/{x}/{y}.png' }, /must start with/],
    ['{s} without subdomains', { IOC_BASEMAP_URL: 'https://{s}.tiles.example/{z}/{x}/{y}.png' }, /subdomains/],
    ['an unknown datum', { IOC_BASEMAP_URL: 'https://tiles.example/{z}/{x}/{y}.png', IOC_BASEMAP_DATUM: 'bd09' }, /IOC_BASEMAP_DATUM/],
    [
      'min zoom above max zoom',
      { IOC_BASEMAP_URL: 'https://tiles.example/{z}/{x}/{y}.png', IOC_BASEMAP_MIN_ZOOM: '12', IOC_BASEMAP_MAX_ZOOM: '5' },
      /minZoom/,
    ],
    ['IOC_BASEMAPS that is not JSON', { IOC_BASEMAPS: '[{' }, /not valid JSON/],
    ['a reserved id', { IOC_BASEMAPS: JSON.stringify([{ id: 'offline', name: 'x', url: '/t/{z}/{x}/{y}' }]) }, /reserved/],
  ])('refuses to start with %s, naming the variable', (_what, env, message) => {
    expect(() => basemapsFromEnv(env)).toThrow(message);
  });
});
