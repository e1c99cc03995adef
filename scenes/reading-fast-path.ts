/**
 * The common case of `SignedReadingSchema` without running zod: ingest checks every reading of
 * every device (tens of thousands a second over MQTT), and a zod object parse — new output objects,
 * a regex and a refine per metrics record, issue arrays — was ≈ 6 % of the server's CPU and ≈ 9 % of
 * what it allocated at the MQTT ingest ceiling (bench window profile, 2026-12-03).
 *
 * `readSignedReadingFast` answers the reading only when the input plainly satisfies the schema
 * (every check below is one the schema makes, or stricter); anything else — a bad value, an odd
 * shape, a number zod would still accept — answers null, and the caller runs the schema, which
 * gives the precise error. So a reading accepted here is one the schema accepts, with the same
 * output (scenes/reading-fast-path.test.ts holds the two together).
 */
import { ID_MAX_LENGTH, ID_PATTERN, METRICS_MAX_ENTRIES, METRIC_NAME_PATTERN, RESERVED_IDS, type Reading } from './domain';
import { DEVICE_TOKEN_MAX_LENGTH, DEVICE_TOKEN_MIN_LENGTH } from './protocol';

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** The reading (without its token) when `item` plainly satisfies SignedReadingSchema; null: run the schema. */
export function readSignedReadingFast(item: unknown): Reading | null {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return null;
  const r = item as Record<string, unknown>;
  const { deviceId, ts, seq, metrics, token } = r;
  if (typeof deviceId !== 'string' || deviceId.length > ID_MAX_LENGTH || !ID_PATTERN.test(deviceId) || RESERVED_IDS.has(deviceId)) return null;
  if (typeof token !== 'string' || token.length < DEVICE_TOKEN_MIN_LENGTH || token.length > DEVICE_TOKEN_MAX_LENGTH) return null;
  if (!isCount(ts) || !isCount(seq)) return null;
  if (typeof metrics !== 'object' || metrics === null || Object.getPrototypeOf(metrics) !== Object.prototype) return null;
  const out: Record<string, number> = {};
  let n = 0;
  for (const name of Object.keys(metrics)) {
    const v = (metrics as Record<string, unknown>)[name];
    if (++n > METRICS_MAX_ENTRIES || typeof v !== 'number' || !Number.isFinite(v) || !METRIC_NAME_PATTERN.test(name)) return null;
    out[name] = v;
  }
  // the schema reads enumerable symbol keys too (and refuses them); JSON never has any
  if (n === 0 || Object.getOwnPropertySymbols(metrics).length > 0) return null;
  return { deviceId, ts, seq, metrics: out };
}
