// Builds the client (vite build → client/dist) unless the build is newer than every source file.
// Used by `npm start` and by the test setup (browser tests need the built client).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

export function buildClientIfStale({ quiet = false } = {}) {
  const distIndex = path.join(root, 'client', 'dist', 'index.html');
  const sourcesNewest = Math.max(
    newestMtime(path.join(root, 'client')),
    newestMtime(path.join(root, 'scenes')),
    statSync(path.join(root, 'vite.config.ts')).mtimeMs,
  );
  if (existsSync(distIndex) && statSync(distIndex).mtimeMs >= sourcesNewest) return false;
  if (!quiet) console.log('City IOC: building the client (vite build)…');
  const r = spawnSync(path.join(root, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`client build failed (exit ${r.status})`);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) buildClientIfStale();
