/**
 * The device tokens this simulator was given: `var/sim-tokens.json` (git-ignored, mode 0600).
 *
 * A device created in /admin has its own random token, shown once; the simulator can report for
 * it only if it holds that token. It gets one by adopting the device (`--adopt <id>`: rotate the
 * token through the admin API and keep the new one here — the device's previous token stops
 * working at once, so never adopt a real device that is in the field) or by registering devices
 * itself (`--devices N` on an empty registry: the import answers each new device's token once).
 * Demo devices need no entry: the server answers their HMAC demo token to an administrator.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { IdSchema } from '../scenes/domain';

export const DEFAULT_SIM_TOKENS_FILE = 'var/sim-tokens.json';
export const SIM_TOKENS_VERSION = 1;

const SimTokensFileSchema = z
  .object({
    version: z.literal(SIM_TOKENS_VERSION),
    tokens: z.record(IdSchema, z.string().min(16).max(128)),
  })
  .strict();

/** The tokens held in `path` (an absent file holds none; an unreadable one is an error naming it). */
export async function readSimTokens(path: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid JSON; fix or delete it`);
  }
  const parsed = SimTokensFileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${path} is not a simulator token file: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return new Map(Object.entries(parsed.data.tokens));
}

/** Adds (or replaces) tokens in `path`, written whole and renamed into place, readable by the owner only. */
export async function saveSimTokens(path: string, tokens: ReadonlyMap<string, string>): Promise<Map<string, string>> {
  const merged = await readSimTokens(path);
  for (const [id, token] of tokens) merged.set(id, token);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const body = { version: SIM_TOKENS_VERSION, tokens: Object.fromEntries([...merged].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) };
  await writeFile(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
  return merged;
}
