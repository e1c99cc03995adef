import { describe, expect, it } from 'vitest';
import { create } from 'xmlbuilder2';
import {
  buildCapMessages,
  capAlertXml,
  capAtomFeed,
  capCircle,
  capMessageOfAlert,
  capMessageOfWarning,
  capPolygon,
  ATOM_NAMESPACE,
  CAP_NAMESPACE,
  DEFAULT_CAP_SENDER,
} from './cap';
import {
  ACTIVE_ALERT,
  CAP_FIXTURE_ALERTS,
  CAP_FIXTURE_WARNINGS,
  CLEARED_ALERT,
  DISTRICT_WARNING,
  DOWNGRADED_ALERT,
  ESCAPING_ALERT,
  LIFTED_WARNING,
  NASTY_TITLE,
  RADIUS_WARNING,
} from './export-fixtures';

/** Parses XML into a DOM (entities decoded, namespaces resolved), as a consumer would. */
const parse = (xml: string): Document => create(xml).node as unknown as Document;
const textsOf = (doc: Document | Element, ns: string, name: string): string[] =>
  Array.from(doc.getElementsByTagNameNS(ns, name)).map((e) => e.textContent ?? '');

describe('CAP messages of alerts', () => {
  it('maps our levels to CAP severity red→Extreme, orange→Severe, yellow→Moderate, blue→Minor', () => {
    const sev = (level: 'red' | 'orange' | 'yellow' | 'blue') => capMessageOfAlert({ ...ACTIVE_ALERT, level, peakLevel: level }).info[0]!.severity;
    expect([sev('red'), sev('orange'), sev('yellow'), sev('blue')]).toEqual(['Extreme', 'Severe', 'Moderate', 'Minor']);
  });

  it('issues an active alert at its peak as Actual/Alert/Public in zh-CN and en-US, sent with +08:00', () => {
    const m = capMessageOfAlert(ACTIVE_ALERT);
    expect(m).toMatchObject({ status: 'Actual', msgType: 'Alert', scope: 'Public', sender: DEFAULT_CAP_SENDER.sender });
    expect(m.references).toBeUndefined();
    expect(m.info.map((i) => i.language)).toEqual(['zh-CN', 'en-US']);
    expect(m.info[0]!.category).toEqual(['Met']);
    expect(m.identifier).not.toMatch(/[\s,<&|]/);
  });

  it('cancels a cleared alert with a reference to the message it ends', () => {
    const m = capMessageOfAlert(CLEARED_ALERT);
    const original = capMessageOfAlert({ ...CLEARED_ALERT, cleared: false });
    expect(m.msgType).toBe('Cancel');
    expect(m.identifier).not.toBe(original.identifier);
    expect(m.references).toBe(`${DEFAULT_CAP_SENDER.sender},${original.identifier},2025-07-15T08:00:00+08:00`);
    expect(m.sentTs).toBe(CLEARED_ALERT.clearedTs);
  });

  it('sends an alert that came down from its peak as an Update of the peak message', () => {
    const m = capMessageOfAlert(DOWNGRADED_ALERT);
    expect(m.msgType).toBe('Update');
    expect(m.references).toContain(`.red,`);
    expect(m.info[0]!.severity).toBe('Minor');
    expect(m.info[0]!.category).toEqual(['Safety']);
  });

  it('puts a device alert in a circle written lat,lon radius_km (CAP order, not GeoJSON order)', () => {
    const circle = capMessageOfAlert(ACTIVE_ALERT).info[0]!.areas[0]!.circles[0]!;
    expect(circle).toBe(`${ACTIVE_ALERT.location[1]},${ACTIVE_ALERT.location[0]} 0.5`);
    expect(capCircle([120.1, 36.2], 2.5)).toBe('36.2,120.1 2.5');
  });
});

describe('CAP messages of area warnings', () => {
  it('covers a district warning with closed polygons of the district boundary and its GB/T 2260 geocode', () => {
    const area = capMessageOfWarning(DISTRICT_WARNING, 'rain-gauge').info[0]!.areas[0]!;
    expect(area.areaDesc).toBe('市南区');
    expect(area.geocodes).toEqual([{ valueName: 'GB/T 2260', value: '370202' }]);
    expect(area.polygons.length).toBeGreaterThan(0);
    for (const p of area.polygons) {
      const pairs = p.split(' ');
      expect(pairs.length).toBeGreaterThanOrEqual(4);
      expect(pairs[0]).toBe(pairs[pairs.length - 1]);
      const [lat, lon] = pairs[0]!.split(',').map(Number);
      expect(lat).toBeGreaterThan(35);
      expect(lat).toBeLessThan(37.5);
      expect(lon).toBeGreaterThan(119);
    }
  });

  it('covers a radius warning with a circle of its radius in km', () => {
    expect(capMessageOfWarning(RADIUS_WARNING, 'rain-gauge').info[1]!.areas[0]!.circles).toEqual([
      capCircle(RADIUS_WARNING.area.kind === 'radius' ? RADIUS_WARNING.area.centre : [0, 0], 2.5),
    ]);
  });

  it('lifts a warning whose alerts are all cleared with a Cancel', () => {
    const m = capMessageOfWarning(LIFTED_WARNING, 'rain-gauge');
    expect(m.msgType).toBe('Cancel');
    expect(m.references).toMatch(/,.*\.red,2025-07-15T08:00:00\+08:00$/);
  });

  it('rejects a degenerate ring as a polygon', () => {
    expect(
      capPolygon([
        [120, 36],
        [120.1, 36],
        [120, 36],
      ]),
    ).toBeNull();
  });
});

describe('CAP XML', () => {
  it('round-trips a message through XML with text escaped and forbidden characters dropped', () => {
    const m = capMessageOfAlert(ESCAPING_ALERT);
    const xml = capAlertXml(m);
    expect(xml).not.toContain('\u0001');
    expect(xml).toContain('&lt;红色&gt; &amp;');
    const doc = parse(xml);
    expect(doc.documentElement.namespaceURI).toBe(CAP_NAMESPACE);
    expect(doc.documentElement.localName).toBe('alert');
    expect(textsOf(doc, CAP_NAMESPACE, 'identifier')).toEqual([m.identifier]);
    expect(textsOf(doc, CAP_NAMESPACE, 'sent')[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    expect(textsOf(doc, CAP_NAMESPACE, 'event')).toEqual([NASTY_TITLE.replace('\u0001', ''), NASTY_TITLE.replace('\u0001', '')]);
    expect(textsOf(doc, CAP_NAMESPACE, 'language')).toEqual(['zh-CN', 'en-US']);
  });

  it('writes an Atom feed with one inline CAP alert per entry, each linking its own document', () => {
    const messages = buildCapMessages({ warnings: CAP_FIXTURE_WARNINGS, alerts: CAP_FIXTURE_ALERTS, kindOf: () => 'rain-gauge' });
    const xml = capAtomFeed({
      messages,
      feedUrl: 'https://ioc.example/api/exports/cap?a=1&b=2',
      capUrl: (id) => `https://ioc.example/api/exports/cap/${id}`,
      nowTs: 0,
    });
    const doc = parse(xml);
    const entries = Array.from(doc.getElementsByTagNameNS(ATOM_NAMESPACE, 'entry'));
    expect(entries).toHaveLength(CAP_FIXTURE_ALERTS.length + CAP_FIXTURE_WARNINGS.length);
    expect(entries.map((e) => textsOf(e, CAP_NAMESPACE, 'identifier')[0])).toEqual(messages.map((m) => m.identifier));
    expect(doc.documentElement.getElementsByTagNameNS(ATOM_NAMESPACE, 'link')[0]!.getAttribute('href')).toBe(
      'https://ioc.example/api/exports/cap?a=1&b=2',
    );
  });

  it('lists warnings before alerts and names every message uniquely', () => {
    const messages = buildCapMessages({ warnings: CAP_FIXTURE_WARNINGS, alerts: CAP_FIXTURE_ALERTS, kindOf: () => 'rain-gauge' });
    expect(messages[0]!.subject.kind).toBe('warning');
    expect(new Set(messages.map((m) => m.identifier)).size).toBe(messages.length);
  });
});
