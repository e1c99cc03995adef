/**
 * CAP 1.2 (OASIS Common Alerting Protocol, the format of China's national early-warning release
 * system) messages for active area warnings (预警) and alerts, and their XML. Pure: the caller
 * passes the warnings and alerts it holds, the sender and "now"; XML is written by xmlbuilder2
 * (escaping by hand is a bug source), characters XML 1.0 forbids are dropped first.
 *
 * Message scheme (one CAP message per alert or warning per level; CAP messages are immutable):
 * - identifier `<prefix>.alert.<alert id>.<level>` / `<prefix>.warning.<warning id>.<level>`
 *   (`|` and `:` of our ids become `.`; CAP forbids spaces, commas, `<` and `&`, our ids have none);
 * - an active alert at its worst level so far (level = peakLevel) is `Alert`; one that came down
 *   from its peak is an `Update` that references the peak's message; `sent` = the alert's firstTs;
 * - a cleared alert (or a warning none of whose members is active) is a `Cancel`, identifier
 *   `….cancel`, `sent` = when it cleared (for a warning: its lastTs), referencing the message it ends;
 * - `references` is CAP's `sender,identifier,sent` triple;
 * - status Actual, scope Public; an `info` in zh-CN and one in en-US (we hold both titles);
 * - area: a warning over a district is that district's boundary (simplified, lat,lon order as CAP
 *   wants) plus its GB/T 2260 geocode; a radius warning or a device's alert is a circle
 *   `lat,lon radius_km` around the place.
 */
import { simplify } from '@turf/simplify';
import type { Polygon as GeoPolygon } from 'geojson';
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces';
import { z } from 'zod';
import type { Alert, AlertLevel, DeviceKind, DistrictCode, LngLat } from '../domain';
import { districtFeature, districtName } from '../geo/districts';
import type { AreaWarning } from '../storm/area-warnings';
import { isoWithOffset } from './iso-time';

export const CAP_NAMESPACE = 'urn:oasis:names:tc:emergency:cap:1.2';
export const CAP_MEDIA_TYPE = 'application/cap+xml';
export const ATOM_NAMESPACE = 'http://www.w3.org/2005/Atom';
export const ATOM_MEDIA_TYPE = 'application/atom+xml';

/**
 * Who issues the messages: per deployment (server/config.ts `capSender`, IOC_CAP_*); the default
 * is the Qingdao demo's.
 */
export interface CapSender {
  /** CAP `sender`: a globally unique name of the originator, e.g. based on a domain name (CAP_TOKEN_RULE) */
  sender: string;
  /** start of every message's `identifier`: a unique name of this system (CAP_TOKEN_RULE) */
  identifierPrefix: string;
  /** CAP `senderName` of the zh-CN and en-US info blocks (free text, CAP_NAME_MAX_CHARS at most) */
  senderName: { zh: string; en: string };
}

export const DEFAULT_CAP_SENDER: CapSender = {
  sender: 'city-ioc@qingdao.example',
  identifierPrefix: 'cn.qingdao.city-ioc',
  senderName: { zh: '青岛市城市运行管理中心', en: 'Qingdao City Operations Centre' },
};

/**
 * CAP 1.2 §3.2.1: `identifier` and `sender` "MUST NOT include spaces, commas or restricted
 * characters (< and &)" — `references` joins them with commas and separates triples with spaces.
 * Control characters are refused too (XML 1.0 cannot carry most of them).
 */
const CAP_TOKEN_FORBIDDEN = /[\s,<&\u0000-\u001F\u007F]/;
const CAP_TOKEN_FORBIDDEN_ALL = new RegExp(CAP_TOKEN_FORBIDDEN.source, 'g');
export const CAP_TOKEN_RULE = 'no spaces, commas, < or & (CAP 1.2 §3.2.1) and no control characters';
/** longest `sender` / identifier prefix we accept, characters (an identifier adds ids and levels to the prefix) */
export const CAP_TOKEN_MAX_CHARS = 120;
/** longest `senderName`, characters (a display name) */
export const CAP_NAME_MAX_CHARS = 200;

/** CAP `sender` or identifier prefix (CAP_TOKEN_RULE). */
export const CapTokenSchema = z
  .string()
  .min(1)
  .max(CAP_TOKEN_MAX_CHARS)
  .refine((s) => !CAP_TOKEN_FORBIDDEN.test(s), CAP_TOKEN_RULE);

/** CAP `senderName`: free text on one line. */
export const CapNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(CAP_NAME_MAX_CHARS)
  .refine((s) => !/[\u0000-\u001F\u007F]/.test(s), 'no control characters');

export const CapSenderSchema = z.strictObject({
  sender: CapTokenSchema,
  identifierPrefix: CapTokenSchema,
  senderName: z.strictObject({ zh: CapNameSchema, en: CapNameSchema }),
}) satisfies z.ZodType<CapSender>;

/** Geometry limits of CAP areas (no magic numbers in the logic). */
export interface CapAreaOptions {
  /** radius of the circle around a single device's alert, km */
  alertCircleRadiusKm: number;
  /** Douglas–Peucker tolerance for district boundaries, degrees (0.002° ≈ 200 m) */
  polygonSimplifyToleranceDeg: number;
  /** decimals of a coordinate in CAP text (5 ≈ 1 m) */
  coordinateDecimals: number;
}

export const DEFAULT_CAP_AREA_OPTIONS: CapAreaOptions = {
  alertCircleRadiusKm: 0.5,
  polygonSimplifyToleranceDeg: 0.002,
  coordinateDecimals: 5,
};

export type CapCategory = 'Geo' | 'Met' | 'Safety' | 'Security' | 'Rescue' | 'Fire' | 'Health' | 'Env' | 'Transport' | 'Infra' | 'CBRNE' | 'Other';
export type CapUrgency = 'Immediate' | 'Expected' | 'Future' | 'Past' | 'Unknown';
export type CapSeverity = 'Extreme' | 'Severe' | 'Moderate' | 'Minor' | 'Unknown';
export type CapCertainty = 'Observed' | 'Likely' | 'Possible' | 'Unlikely' | 'Unknown';

/**
 * Our levels to CAP, as GB/T 35965 (national early-warning release) reads them:
 * red (I, 特别严重) → Extreme, orange (II, 严重) → Severe, yellow (III, 较重) → Moderate,
 * blue (IV, 一般) → Minor. Urgency: red/orange need action now (Immediate), yellow soon
 * (Expected), blue some time (Future). Certainty: our alerts are measured by devices (Observed).
 */
export const CAP_SEVERITY_OF_LEVEL: Record<AlertLevel, CapSeverity> = { red: 'Extreme', orange: 'Severe', yellow: 'Moderate', blue: 'Minor' };
export const CAP_URGENCY_OF_LEVEL: Record<AlertLevel, CapUrgency> = { red: 'Immediate', orange: 'Immediate', yellow: 'Expected', blue: 'Future' };

/**
 * CAP category by the kind of device that measured it: floods and rain are meteorological (CAP puts
 * floods under Met), networks and structures infrastructure, fire and smoke Fire, gas Safety …
 */
export const CAP_CATEGORY_OF_KIND: Record<DeviceKind, CapCategory> = {
  'strain-gauge': 'Infra',
  inclinometer: 'Infra',
  accelerometer: 'Infra',
  deflection: 'Infra',
  'bearing-displacement': 'Infra',
  'temp-humidity': 'Env',
  'weigh-in-motion': 'Transport',
  'water-level': 'Met',
  waterlogging: 'Met',
  'rain-gauge': 'Met',
  'pipe-pressure': 'Infra',
  'flow-meter': 'Infra',
  'water-quality': 'Env',
  'manhole-cover': 'Infra',
  'pump-station': 'Infra',
  'flood-gate': 'Infra',
  'gas-detector': 'Safety',
  'fire-alarm': 'Fire',
  'smoke-detector': 'Fire',
  elevator: 'Safety',
  'fire-lane-camera': 'Fire',
  'ev-charger': 'Fire',
  'fall-detector': 'Health',
  'door-sensor': 'Security',
  camera: 'Security',
};

const LEVEL_NAME: Record<AlertLevel, { zh: string; en: string }> = {
  red: { zh: '红色', en: 'Red' },
  orange: { zh: '橙色', en: 'Orange' },
  yellow: { zh: '黄色', en: 'Yellow' },
  blue: { zh: '蓝色', en: 'Blue' },
};

export interface CapArea {
  areaDesc: string;
  /** CAP polygons: "lat,lon lat,lon …", closed (first = last), ≥ 4 pairs */
  polygons: string[];
  /** CAP circles: "lat,lon radius_km" */
  circles: string[];
  geocodes: { valueName: string; value: string }[];
}

export interface CapInfo {
  language: 'zh-CN' | 'en-US';
  category: CapCategory[];
  event: string;
  urgency: CapUrgency;
  severity: CapSeverity;
  certainty: CapCertainty;
  /** epoch ms */
  onsetTs: number;
  senderName: string;
  headline: string;
  description: string;
  parameters: { valueName: string; value: string }[];
  areas: CapArea[];
}

export interface CapMessage {
  identifier: string;
  sender: string;
  /** epoch ms */
  sentTs: number;
  status: 'Actual';
  msgType: 'Alert' | 'Update' | 'Cancel';
  scope: 'Public';
  /** "sender,identifier,sent" of the message this one updates or cancels */
  references?: string;
  /** what the message is about, for the feed and lookups */
  subject: { kind: 'alert' | 'warning'; id: string };
  info: CapInfo[];
}

/** CAP identifiers: our ids with `|` and `:` as `.`, and nothing CAP forbids (space , < &). */
function idPart(id: string): string {
  return id.replace(/[|:]/g, '.').replace(CAP_TOKEN_FORBIDDEN_ALL, '_');
}

function fixed(n: number, decimals: number): string {
  return Number(n.toFixed(decimals)).toString();
}

/** CAP point order is lat,lon (GeoJSON's is lon,lat). */
function capPoint(p: LngLat, o: CapAreaOptions): string {
  return `${fixed(p[1], o.coordinateDecimals)},${fixed(p[0], o.coordinateDecimals)}`;
}

export function capCircle(centre: LngLat, radiusKm: number, o: CapAreaOptions = DEFAULT_CAP_AREA_OPTIONS): string {
  return `${capPoint(centre, o)} ${fixed(radiusKm, 3)}`;
}

/** A closed ring as a CAP polygon; null when it is too small to be one (< 4 pairs). */
export function capPolygon(ring: readonly LngLat[], o: CapAreaOptions = DEFAULT_CAP_AREA_OPTIONS): string | null {
  const pairs = ring.map((p) => capPoint(p, o));
  if (pairs.length > 0 && pairs[0] !== pairs[pairs.length - 1]) pairs.push(pairs[0]!);
  const distinct = new Set(pairs).size;
  return pairs.length >= 4 && distinct >= 3 ? pairs.join(' ') : null;
}

function districtGeocode(district: DistrictCode): { valueName: string; value: string } {
  return { valueName: 'GB/T 2260', value: district };
}

/** The outer rings of a district's boundary, simplified, as CAP polygons. */
function districtPolygons(district: DistrictCode, o: CapAreaOptions): string[] {
  const f = districtFeature(district);
  if (!f) return [];
  const polygons = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
  const out: string[] = [];
  for (const rings of polygons) {
    const outer: GeoPolygon = { type: 'Polygon', coordinates: [rings[0]!] };
    const simple = simplify(outer, { tolerance: o.polygonSimplifyToleranceDeg, highQuality: false, mutate: false }) as GeoPolygon;
    const text = capPolygon(simple.coordinates[0] as LngLat[], o);
    if (text) out.push(text);
  }
  return out;
}

function alertArea(a: Alert, lang: 'zh' | 'en', o: CapAreaOptions): CapArea {
  const where = districtName(a.district, lang);
  return {
    areaDesc: lang === 'zh' ? `${where} 设备 ${a.deviceId} 周边` : `${where}, around device ${a.deviceId}`,
    polygons: [],
    circles: [capCircle(a.location, o.alertCircleRadiusKm, o)],
    geocodes: [districtGeocode(a.district)],
  };
}

function warningArea(w: AreaWarning, lang: 'zh' | 'en', o: CapAreaOptions): CapArea {
  const where = districtName(w.district, lang);
  if (w.area.kind === 'district')
    return { areaDesc: where, polygons: districtPolygons(w.area.district, o), circles: [], geocodes: [districtGeocode(w.area.district)] };
  const km = w.area.radiusM / 1000;
  return {
    areaDesc: lang === 'zh' ? `${where} 半径 ${fixed(km, 1)} 公里范围` : `${where}, within ${fixed(km, 1)} km`,
    polygons: [],
    circles: [capCircle(w.area.centre, km, o)],
    geocodes: [districtGeocode(w.district)],
  };
}

function references(sender: CapSender, identifier: string, sentTs: number): string {
  return `${sender.sender},${identifier},${isoWithOffset(sentTs)}`;
}

/** The CAP message of one alert now (see the module comment for the scheme). */
export function capMessageOfAlert(a: Alert, sender: CapSender = DEFAULT_CAP_SENDER, o: CapAreaOptions = DEFAULT_CAP_AREA_OPTIONS): CapMessage {
  const base = `${sender.identifierPrefix}.alert.${idPart(a.id)}`;
  const peakId = `${base}.${a.peakLevel}`;
  const cancelled = a.cleared;
  const msgType = cancelled ? 'Cancel' : a.level === a.peakLevel ? 'Alert' : 'Update';
  const identifier = cancelled ? `${base}.cancel` : `${base}.${a.level}`;
  const sentTs = cancelled ? (a.clearedTs ?? a.lastTs) : a.firstTs;
  const value = a.value === undefined || a.metric === undefined ? null : { metric: a.metric, value: a.value };
  const info = (lang: 'zh' | 'en'): CapInfo => {
    const level = LEVEL_NAME[a.level][lang];
    const title = lang === 'zh' ? a.title : a.titleEn;
    const measured = value ? ` ${value.metric} = ${value.value}` : '';
    return {
      language: lang === 'zh' ? 'zh-CN' : 'en-US',
      category: [CAP_CATEGORY_OF_KIND[a.deviceKind] ?? 'Other'],
      event: title,
      urgency: cancelled ? 'Past' : CAP_URGENCY_OF_LEVEL[a.level],
      severity: CAP_SEVERITY_OF_LEVEL[a.level],
      certainty: 'Observed',
      onsetTs: a.firstTs,
      senderName: sender.senderName[lang],
      headline: cancelled
        ? lang === 'zh'
          ? `解除：${title}`
          : `Cleared: ${title}`
        : lang === 'zh'
          ? `${level}告警：${title}`
          : `${level} alert: ${title}`,
      description:
        lang === 'zh'
          ? `设备 ${a.deviceId}（${a.deviceKind}）${measured}；首次 ${isoWithOffset(a.firstTs)}，最近 ${isoWithOffset(a.lastTs)}，共 ${a.count} 次。`
          : `Device ${a.deviceId} (${a.deviceKind})${measured}; first ${isoWithOffset(a.firstTs)}, latest ${isoWithOffset(a.lastTs)}, ${a.count} time(s).`,
      parameters: [
        { valueName: 'level', value: a.level },
        { valueName: 'deviceId', value: a.deviceId },
        { valueName: 'ruleId', value: a.ruleId },
        ...(value ? [{ valueName: value.metric, value: String(value.value) }] : []),
      ],
      areas: [alertArea(a, lang, o)],
    };
  };
  return {
    identifier,
    sender: sender.sender,
    sentTs,
    status: 'Actual',
    msgType,
    scope: 'Public',
    ...(msgType === 'Alert' ? {} : { references: references(sender, peakId, a.firstTs) }),
    subject: { kind: 'alert', id: a.id },
    info: [info('zh'), info('en')],
  };
}

/** The CAP message of one area warning now; `categoryOf` names the category of its member alerts' kind. */
export function capMessageOfWarning(
  w: AreaWarning,
  memberKind: DeviceKind | undefined,
  sender: CapSender = DEFAULT_CAP_SENDER,
  o: CapAreaOptions = DEFAULT_CAP_AREA_OPTIONS,
): CapMessage {
  const base = `${sender.identifierPrefix}.warning.${idPart(w.id)}`;
  const cancelled = !w.active;
  const identifier = cancelled ? `${base}.cancel` : `${base}.${w.level}`;
  const info = (lang: 'zh' | 'en'): CapInfo => {
    const level = LEVEL_NAME[w.level][lang];
    const title = lang === 'zh' ? w.title : w.titleEn;
    return {
      language: lang === 'zh' ? 'zh-CN' : 'en-US',
      category: [memberKind ? (CAP_CATEGORY_OF_KIND[memberKind] ?? 'Other') : 'Other'],
      event: title,
      urgency: cancelled ? 'Past' : CAP_URGENCY_OF_LEVEL[w.level],
      severity: CAP_SEVERITY_OF_LEVEL[w.level],
      certainty: 'Observed',
      onsetTs: w.firstTs,
      senderName: sender.senderName[lang],
      headline: cancelled
        ? lang === 'zh'
          ? `解除：${title}`
          : `Lifted: ${title}`
        : lang === 'zh'
          ? `${level}预警：${title}`
          : `${level} warning: ${title}`,
      description:
        lang === 'zh'
          ? `${w.deviceIds.length} 台设备的 ${w.alertIds.length} 条告警汇聚为区域预警；首次 ${isoWithOffset(w.firstTs)}，最近 ${isoWithOffset(w.lastTs)}。`
          : `${w.alertIds.length} alert(s) from ${w.deviceIds.length} device(s) form this area warning; first ${isoWithOffset(w.firstTs)}, latest ${isoWithOffset(w.lastTs)}.`,
      parameters: [
        { valueName: 'level', value: w.level },
        { valueName: 'ruleId', value: w.ruleId },
        { valueName: 'alertCount', value: String(w.alertIds.length) },
      ],
      areas: [warningArea(w, lang, o)],
    };
  };
  return {
    identifier,
    sender: sender.sender,
    sentTs: cancelled ? w.lastTs : w.firstTs,
    status: 'Actual',
    msgType: cancelled ? 'Cancel' : 'Alert',
    scope: 'Public',
    ...(cancelled ? { references: references(sender, `${base}.${w.level}`, w.firstTs) } : {}),
    subject: { kind: 'warning', id: w.id },
    info: [info('zh'), info('en')],
  };
}

/**
 * The feed's messages: every area warning, and every alert that is active or cleared but still
 * held (its Cancel); warnings first, newest first within each kind.
 */
export function buildCapMessages(input: {
  warnings: readonly AreaWarning[];
  alerts: readonly Alert[];
  /** the kind of a device (a warning's category comes from its members' kind) */
  kindOf: (deviceId: string) => DeviceKind | undefined;
  sender?: CapSender;
  area?: CapAreaOptions;
}): CapMessage[] {
  const sender = input.sender ?? DEFAULT_CAP_SENDER;
  const area = input.area ?? DEFAULT_CAP_AREA_OPTIONS;
  const warnings = [...input.warnings]
    .sort((a, b) => b.firstTs - a.firstTs || (a.id < b.id ? -1 : 1))
    .map((w) =>
      capMessageOfWarning(
        w,
        w.deviceIds.map(input.kindOf).find((k) => k !== undefined),
        sender,
        area,
      ),
    );
  const alerts = [...input.alerts].sort((a, b) => b.firstTs - a.firstTs || (a.id < b.id ? -1 : 1)).map((a) => capMessageOfAlert(a, sender, area));
  return [...warnings, ...alerts];
}

// ---------------------------------------------------------------------------------------------
// XML

/** Characters XML 1.0 does not allow (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/FFFF). */
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function xmlSafeText(s: string): string {
  return s.replace(XML_FORBIDDEN, '');
}

function text(parent: XMLBuilder, name: string, value: string): void {
  parent.ele(name).txt(xmlSafeText(value));
}

/** Appends one `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">` (elements in the XSD's order). */
export function appendCapAlert(parent: XMLBuilder, m: CapMessage): void {
  const alert = parent.ele(CAP_NAMESPACE, 'alert');
  text(alert, 'identifier', m.identifier);
  text(alert, 'sender', m.sender);
  text(alert, 'sent', isoWithOffset(m.sentTs));
  text(alert, 'status', m.status);
  text(alert, 'msgType', m.msgType);
  text(alert, 'scope', m.scope);
  if (m.references) text(alert, 'references', m.references);
  for (const i of m.info) {
    const info = alert.ele('info');
    text(info, 'language', i.language);
    for (const c of i.category) text(info, 'category', c);
    text(info, 'event', i.event);
    text(info, 'urgency', i.urgency);
    text(info, 'severity', i.severity);
    text(info, 'certainty', i.certainty);
    text(info, 'onset', isoWithOffset(i.onsetTs));
    text(info, 'senderName', i.senderName);
    text(info, 'headline', i.headline);
    text(info, 'description', i.description);
    for (const p of i.parameters) {
      const param = info.ele('parameter');
      text(param, 'valueName', p.valueName);
      text(param, 'value', p.value);
    }
    for (const a of i.areas) {
      const area = info.ele('area');
      text(area, 'areaDesc', a.areaDesc);
      for (const p of a.polygons) text(area, 'polygon', p);
      for (const c of a.circles) text(area, 'circle', c);
      for (const g of a.geocodes) {
        const geocode = area.ele('geocode');
        text(geocode, 'valueName', g.valueName);
        text(geocode, 'value', g.value);
      }
    }
  }
}

/** One CAP message as a standalone XML document. */
export function capAlertXml(m: CapMessage): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  appendCapAlert(doc, m);
  return doc.end({ prettyPrint: true });
}

/**
 * An Atom (RFC 4287) feed of CAP messages, each entry carrying its `<alert>` inline as
 * `content type="application/cap+xml"` and linking to the standalone document.
 * `capUrl(identifier)` names that document; `feedUrl` is the feed itself.
 */
export function capAtomFeed(opts: {
  messages: readonly CapMessage[];
  feedUrl: string;
  capUrl: (identifier: string) => string;
  sender?: CapSender;
  nowTs: number;
}): string {
  const sender = opts.sender ?? DEFAULT_CAP_SENDER;
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const feed = doc.ele(ATOM_NAMESPACE, 'feed');
  text(feed, 'id', `urn:${sender.identifierPrefix}:cap-feed`);
  text(feed, 'title', `${sender.senderName.zh} CAP 1.2 预警告警 / ${sender.senderName.en} CAP 1.2 warnings and alerts`);
  const updated = opts.messages.reduce((t, m) => Math.max(t, m.sentTs), 0) || opts.nowTs;
  text(feed, 'updated', isoWithOffset(updated));
  text(feed.ele('author'), 'name', sender.senderName.en);
  feed.ele('link', { rel: 'self', href: opts.feedUrl, type: ATOM_MEDIA_TYPE });
  for (const m of opts.messages) {
    const entry = feed.ele('entry');
    text(entry, 'id', `urn:${m.identifier}`);
    text(entry, 'title', m.info[0]?.headline ?? m.identifier);
    text(entry, 'updated', isoWithOffset(m.sentTs));
    entry.ele('link', { rel: 'alternate', href: opts.capUrl(m.identifier), type: CAP_MEDIA_TYPE });
    appendCapAlert(entry.ele('content', { type: CAP_MEDIA_TYPE }), m);
  }
  return doc.end({ prettyPrint: true });
}
