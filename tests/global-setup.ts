/** Test-run setup: browser tests need the built client; build it once when sources changed. */
// @ts-expect-error plain ESM helper shared with `npm start`
import { buildClientIfStale } from '../scripts/build-client-if-stale.mjs';

export default function setup(): void {
  (buildClientIfStale as (o: { quiet: boolean }) => boolean)({ quiet: false });
}
