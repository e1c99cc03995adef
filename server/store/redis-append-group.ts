/**
 * Grouped readings appends of the Redis store: small `appendReadings` batches that arrive while
 * one is being written share the next script call (GroupCommit). The MQTT path sends one reading
 * per message; one script call per message cost the server ≈ 30 % of its time at the ceiling
 * (building the command and one socket write each), and Redis one script run each.
 *
 * Same guarantees as a call of its own: each batch keeps its own de-duplication marker
 * (`batch:<batchId>:0`, the key a lone call of that batch sets, so a retry either way is never
 * appended twice), a batch is appended whole or not at all (one script, atomic), and its caller
 * settles only when the call that carried it answered.
 */
import type { Reading } from '../../scenes/domain';

/**
 * KEYS: readings stream, then one batch marker key per batch. ARGV: maxLen, batchTtlMs, nodeId
 * (field `n` of every entry: the node that accepted it), then per batch: dedupe ('1' = set its
 * marker NX and skip the batch when it was already set, '0' = no batch id), n, then deviceId, ts,
 * seq, metricsJson of its n readings. Returns the number appended.
 */
export const LUA_APPEND_READING_GROUPS = `
local key, maxLen, ttl, node = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local a, appended = 4, 0
for b = 2, #KEYS do
  local dedupe, n = ARGV[a], tonumber(ARGV[a + 1])
  a = a + 2
  if dedupe ~= '1' or redis.call('SET', KEYS[b], '1', 'NX', 'PX', ttl) then
    for i = a, a + 4 * n - 1, 4 do
      redis.call('XADD', key, 'MAXLEN', '~', maxLen, '*', 'd', ARGV[i], 't', ARGV[i + 1], 's', ARGV[i + 2], 'm', ARGV[i + 3], 'n', node)
    end
    appended = appended + n
  end
  a = a + 4 * n
end
return appended
`;

/** Batches up to this many readings are grouped; larger ones (HTTP batches) go in calls of their own. */
export const GROUPED_BATCH_MAX_READINGS = 100;

/** One batch, encoded when it was handed over (the caller may reuse its objects afterwards). */
export interface EncodedBatch {
  /** full key of its marker (`batch:<batchId>:0`), or of the unused `batch:` key without a batch id */
  batchKey: string;
  dedupe: boolean;
  readings: number;
  /** deviceId, ts, seq, metricsJson per reading */
  fields: string[];
}

export function encodeBatch(readings: readonly Reading[], batchKey: string, dedupe: boolean, encode: (v: unknown) => string): EncodedBatch {
  const fields: string[] = [];
  for (const r of readings) fields.push(r.deviceId, String(r.ts), String(r.seq), encode(r.metrics));
  return { batchKey, dedupe, readings: readings.length, fields };
}

/** numkeys, keys and args of one grouped script call (EVALSHA with the key count first); `nodeId` tags every entry. */
export function groupCallArgs(
  streamKey: string,
  maxLen: number,
  batchTtlMs: number,
  nodeId: string,
  batches: readonly EncodedBatch[],
): (string | number)[] {
  const keys: string[] = [streamKey];
  const args: string[] = [String(maxLen), String(batchTtlMs), nodeId];
  for (const b of batches) {
    keys.push(b.batchKey);
    args.push(b.dedupe ? '1' : '0', String(b.readings));
    for (const f of b.fields) args.push(f);
  }
  return [keys.length, ...keys, ...args];
}
