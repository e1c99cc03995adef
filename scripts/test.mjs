#!/usr/bin/env node
/**
 * `npm test`: the whole suite as two vitest runs side by side — the `browser` project (one
 * software-GL Chromium at a time, CPU-bound) and the `unit` project (logic, servers, throwaway
 * Redis/Mosquitto/nginx; mostly waiting on I/O). On 2 cores vitest would run one file at a
 * time; two software-rendered browsers at once starve each other. Each line is prefixed with its
 * project; the exit code is the worse of the two. With arguments (`npm test -- server/x.test.ts`)
 * it is plain `vitest run <args>`.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const args = process.argv.slice(2);

function run(extra, prefix) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [vitest, 'run', ...extra], {
      stdio: prefix ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      env: process.env,
    });
    if (prefix) {
      for (const [stream, out] of [
        [child.stdout, process.stdout],
        [child.stderr, process.stderr],
      ]) {
        createInterface({ input: stream }).on('line', (line) => out.write(`${prefix} ${line}\n`));
      }
    }
    const stop = (signal) => child.kill(signal);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const started = Date.now();
const codes = args.length
  ? [await run(args, '')]
  : await Promise.all([run(['--project', 'browser'], '[browser]'), run(['--project', 'unit'], '[unit]   ')]);
const code = Math.max(...codes);
if (!args.length) {
  console.log(
    `\nnpm test: browser ${codes[0] === 0 ? 'passed' : 'FAILED'}, unit ${codes[1] === 0 ? 'passed' : 'FAILED'} in ${Math.round((Date.now() - started) / 1000)} s`,
  );
}
process.exit(code);
