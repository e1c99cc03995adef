import { describe, expect, it } from 'vitest';
import { aggregateAreaWarnings, DEFAULT_AREA_WARNING_RULES } from '@scenes/storm/area-warnings';
import { MINUTE_MS, T0, makeAlert } from '@scenes/storm/fixtures/storm-fixtures';
import { createFakeTransport } from './fake-transport';
import { parseDecisions, parseDuplicateCandidates, parseWarningsMessage, subscribeWarnings, WARNINGS_EVENT } from './storm';

const result = aggregateAreaWarnings(
  Array.from({ length: 3 }, (_, i) => makeAlert(`rg-${i}`, { firstTs: T0 + i * MINUTE_MS })),
  [],
  DEFAULT_AREA_WARNING_RULES,
  T0 + 10 * MINUTE_MS,
);

describe('warnings on the wire', () => {
  it('takes { warnings, coveredBy } as the server sends it', () => {
    expect(parseWarningsMessage(JSON.parse(JSON.stringify(result)))).toEqual({ warnings: result.warnings, coveredBy: { ...result.coveredBy } });
  });

  it('rebuilds coveredBy from a bare list of warnings', () => {
    const parsed = parseWarningsMessage(result.warnings);
    expect({ ...parsed?.coveredBy }).toEqual(result.coveredBy);
  });

  it('refuses malformed pushes and reserved keys', () => {
    expect(parseWarningsMessage({ warnings: [{ id: 'x' }] })).toBeNull();
    expect(parseWarningsMessage('nope')).toBeNull();
    const evil = JSON.parse(`{"warnings": [], "coveredBy": {"__proto__": "aw:1", "a": "aw:2"}}`) as unknown;
    const parsed = parseWarningsMessage(evil);
    expect(Object.keys(parsed?.coveredBy ?? {})).toEqual(['a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('delivers valid pushes of the warnings event and drops invalid ones', () => {
    const t = createFakeTransport();
    const got: number[] = [];
    const off = subscribeWarnings(t, (r) => got.push(r.warnings.length));
    const emit = t.emitServer as unknown as (e: string, p: unknown) => void;
    emit(WARNINGS_EVENT, result);
    emit(WARNINGS_EVENT, { warnings: 5 });
    off();
    emit(WARNINGS_EVENT, result);
    expect(got).toEqual([1]);
  });
});

describe('decisions and duplicates on the wire', () => {
  it('parses decisions from an object or a bare array', () => {
    const d = [
      { kind: 'bulletin', ruleId: 'r', level: 'red', warningIds: ['aw:1'], districts: ['370202'], alertCount: 12 },
      { kind: 'incident', incidentId: 'INC-1' },
      { kind: 'plan', planId: 'flood' },
      { kind: 'alert', alertId: 'a|b|1' },
    ];
    expect(parseDecisions({ decisions: d })).toHaveLength(4);
    expect(parseDecisions(d)).toHaveLength(4);
    expect(parseDecisions({ decisions: [{ kind: 'bogus' }] })).toBeNull();
    expect(parseDecisions({})).toBeNull();
  });

  it('parses duplicate candidates in either shape, nearest first, filling a missing distance', () => {
    const inc = (id: string) => ({ id, title: `t-${id}`, location: [120, 36] });
    expect(
      parseDuplicateCandidates(
        {
          candidates: [
            { incident: inc('A'), distanceM: 900 },
            { incident: inc('B'), distanceM: 350 },
          ],
        },
        () => 0,
      ),
    ).toEqual([
      { incidentId: 'B', title: 't-B', distanceM: 350 },
      { incidentId: 'A', title: 't-A', distanceM: 900 },
    ]);
    expect(parseDuplicateCandidates({ incidents: [inc('C')] }, () => 42)).toEqual([{ incidentId: 'C', title: 't-C', distanceM: 42 }]);
    expect(parseDuplicateCandidates({ incidents: 'x' }, () => 0)).toBeNull();
  });
});
