// Bundles the server (esbuild: server/main.ts → dist-server/main.mjs) unless the bundle is newer
// than every file it was built from. Used by `npm start` (at start and before every restart), by
// `npm run build:server` and by the crash-test harness (tests/helpers/server-process.ts).
//
// Why a bundle: transpiling ~100 TypeScript modules with tsx at every start cost seconds; a
// crashed server must be serving again in < 2 s (issue 10, #11). node_modules stay external, so
// the bundle holds our code (scenes/ + server/, the district GeoJSON inlined as JSON) and the few
// functions of @turf the server uses (see BUNDLED_PACKAGES).
// dist-server/ sits one level below the root like server/, so paths built from import.meta.url
// (the client dist in server/main.ts, createRequire in server/socket-encoder.ts) resolve the same.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
export const root = path.resolve(path.dirname(here), '..');
export const serverDistDir = path.join(root, 'dist-server');
/** The bundle `node --enable-source-maps` runs. */
export const serverBundle = path.join(serverDistDir, 'main.mjs');
/** esbuild's metafile: every input of the last build, so an import from anywhere counts for staleness. */
const metaFile = path.join(serverDistDir, 'meta.json');
const entry = path.join(root, 'server', 'main.ts');

/**
 * Packages bundled (tree-shaken) although node_modules are otherwise external: `@turf/turf` is an
 * index of ~100 ESM packages that Node would load one by one (≈ 0.5 s of every start) for the two
 * functions the server uses.
 */
const BUNDLED_PACKAGES = [/^@turf\//];

/**
 * node_modules stay external (loaded by Node as usual), except BUNDLED_PACKAGES: every dependency
 * named in package.json is external, with its subpaths. (esbuild's synchronous API takes no
 * plugins, hence a list rather than `packages: 'external'` plus an exception.)
 */
function externalPackages() {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((n) => !BUNDLED_PACKAGES.some((re) => re.test(n)));
  return names.flatMap((n) => [n, `${n}/*`]);
}

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Newest mtime among the inputs of the previous build; Infinity when one of them is gone. */
function newestPreviousInput() {
  if (!existsSync(metaFile)) return Infinity;
  let newest = 0;
  try {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    for (const input of Object.keys(meta.inputs ?? {})) {
      const p = path.resolve(root, input);
      if (!existsSync(p)) return Infinity;
      newest = Math.max(newest, statSync(p).mtimeMs);
    }
  } catch {
    return Infinity;
  }
  return newest;
}

/** True when the bundle is missing or older than a source it depends on. */
export function serverBundleIsStale() {
  if (!existsSync(serverBundle)) return true;
  const bundleMtime = statSync(serverBundle).mtimeMs;
  const sourcesNewest = Math.max(
    newestMtime(path.join(root, 'server')),
    newestMtime(path.join(root, 'scenes')),
    statSync(path.join(root, 'package.json')).mtimeMs,
    statSync(here).mtimeMs,
    newestPreviousInput(),
  );
  return sourcesNewest > bundleMtime;
}

/**
 * Build dist-server/main.mjs (+ .map) when stale. Returns true when it built. Throws on a build
 * error (the previous bundle, if any, is left in place). Concurrent callers (parallel test files)
 * are safe: each writes to temp files and renames them into place.
 */
export function buildServerIfStale({ quiet = false, force = false } = {}) {
  if (!force && !serverBundleIsStale()) return false;
  // loaded only when a build is due: a deployment that ships dist-server/ runs without devDependencies
  let buildSync;
  try {
    ({ buildSync } = createRequire(import.meta.url)('esbuild'));
  } catch (err) {
    if (!force && existsSync(serverBundle)) {
      console.warn(`City IOC: esbuild is not installed (${err.message.split('\n')[0]}); running the existing dist-server/main.mjs`);
      return false;
    }
    throw new Error('the server bundle needs esbuild to be built: run `npm install` (it is a devDependency)');
  }
  if (!quiet) console.log('City IOC: building the server (esbuild → dist-server/main.mjs)…');
  // a source saved while esbuild reads the tree must count as newer than the bundle
  const buildStartedAt = new Date();
  const result = buildSync({
    entryPoints: [entry],
    outfile: serverBundle,
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: externalPackages(),
    sourcemap: true,
    // stack traces need names and positions, not the sources: a smaller map loads faster
    sourcesContent: false,
    metafile: true,
    write: false,
    logLevel: 'warning',
    legalComments: 'none',
  });
  mkdirSync(serverDistDir, { recursive: true });
  const suffix = `.${process.pid}.${Date.now()}.tmp`;
  // the map first, the bundle last: a reader that sees the new bundle also finds its map
  const files = [...result.outputFiles.filter((f) => f.path.endsWith('.map')), ...result.outputFiles.filter((f) => !f.path.endsWith('.map'))];
  for (const f of files) {
    writeFileSync(f.path + suffix, f.contents);
    utimesSync(f.path + suffix, buildStartedAt, buildStartedAt);
    renameSync(f.path + suffix, f.path);
  }
  writeFileSync(metaFile + suffix, JSON.stringify(result.metafile));
  renameSync(metaFile + suffix, metaFile);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === here) {
  const built = buildServerIfStale({ force: process.argv.includes('--force') });
  if (!built) console.log('City IOC: server bundle is up to date (dist-server/main.mjs)');
}
