import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSimTokens, saveSimTokens } from './sim-tokens';

describe('the simulator token file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ioc-sim-tokens-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('holds no token before it exists, then keeps added tokens, readable by its owner only', async () => {
    const file = join(dir, 'nested', 'sim-tokens.json');
    expect((await readSimTokens(file)).size).toBe(0);
    await saveSimTokens(file, new Map([['dev-a', 'a'.repeat(43)]]));
    await saveSimTokens(file, new Map([['dev-b', 'b'.repeat(43)]]));
    expect([...(await readSimTokens(file))]).toEqual([
      ['dev-a', 'a'.repeat(43)],
      ['dev-b', 'b'.repeat(43)],
    ]);
    expect((await stat(file)).mode & 0o077).toBe(0);
  });

  it('refuses a file that is not a token file, naming it', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ version: 1, tokens: { 'dev-x': 'short' } }));
    await expect(readSimTokens(file)).rejects.toThrow(file);
    await writeFile(file, 'not json');
    await expect(readSimTokens(file)).rejects.toThrow(/not valid JSON/);
  });
});
