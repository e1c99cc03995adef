/**
 * `npm run audit:verify [-- --file export.ndjson] [--key-file secrets.json] [--anchors file]`:
 * names the first changed, inserted or deleted audit record (server/audit/verify-cli.ts).
 */
import { auditVerifyMain } from '../server/audit/verify-cli';

const code = await auditVerifyMain(process.argv.slice(2), process.env, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
process.exit(code);
