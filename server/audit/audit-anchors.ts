/**
 * Anchors: the chain head written with a timestamp to a second place (a local file, one JSON line
 * each, fsync'ed, mode 0600). Someone who rewrites or truncates the Redis stream cannot also
 * rewrite what was anchored here, so `audit:verify` finds a truncated tail or a rewritten past.
 */
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface AuditAnchor {
  /** when the head was read, epoch ms */
  ts: number;
  seq: number;
  hash: string;
  /** the chain it belongs to (`<prefix>-audit`); anchors of other chains are ignored by verify */
  chain: string;
}

export async function appendAnchor(file: string, anchor: AuditAnchor): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const fh = await open(file, 'a', 0o600);
  try {
    await fh.chmod(0o600);
    await fh.appendFile(`${JSON.stringify(anchor)}\n`, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Every well-formed anchor of `chain` in the file (none when the file does not exist); `unreadable` counts the other lines. */
export async function readAnchors(file: string, chain: string): Promise<{ anchors: AuditAnchor[]; unreadable: number }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { anchors: [], unreadable: 0 };
    throw err;
  }
  const anchors: AuditAnchor[] = [];
  let unreadable = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const a = JSON.parse(line) as Partial<AuditAnchor>;
      if (!Number.isSafeInteger(a.seq) || !Number.isSafeInteger(a.ts) || typeof a.hash !== 'string') unreadable++;
      else if ((a.chain ?? chain) === chain) anchors.push({ ts: a.ts!, seq: a.seq!, hash: a.hash, chain });
    } catch {
      // a torn last line (crash mid-write) or an edit: reported, never trusted
      unreadable++;
    }
  }
  return { anchors, unreadable };
}
