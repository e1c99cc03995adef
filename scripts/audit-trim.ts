/**
 * `npm run audit:trim [-- --days N] [--dry-run]`: removes audit records older than the retention
 * period (an operator's Redis user; the server never deletes). See server/audit/trim-cli.ts.
 */
import { auditTrimMain } from '../server/audit/trim-cli';

const code = await auditTrimMain(process.argv.slice(2), process.env, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
process.exit(code);
