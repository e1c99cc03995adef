/**
 * Replay pages: an event-log range is answered page by page, each bounded in events and bytes,
 * so no request can make the server read, copy and send more than one page (a 6-hour replay of a
 * busy scene used to be one 50 MB answer).
 *
 * Data scope (issue 12): `include` drops events the reader may not see (another district's
 * incident or alert) AFTER reading, so paging stays right: the cursor counts every event read,
 * shown or not, and a page may hold fewer events than it read (even none, with a `next`).
 *
 * Cursor: `"<ts>.<n>"` — the next page starts at epoch ms `ts`, after the first `n` events stamped
 * exactly `ts` (they were in earlier pages). Opaque to clients: they send back what they got.
 */
import type { ScreenSceneId } from '../scenes/domain';
import type { IocError, LogEvent } from '../scenes/protocol';
import { iocError } from './errors';
import type { Store } from './store/store';

export interface ReplayPageLimits {
  /** log events read per page (before the scene filter) */
  replayPageMaxEvents: number;
  /** JSON bytes of the events of one page (a page always holds at least one event) */
  replayPageMaxBytes: number;
}

export interface ReplayPageRequest {
  /** `overview` = every scene */
  scene: ScreenSceneId | null;
  fromTs: number;
  toTs: number;
  cursor?: string;
}

export type ReplayPage = { ok: true; events: LogEvent[]; next?: string } | { ok: false; error: IocError };

const CURSOR = /^(\d{1,16})\.(\d{1,9})$/;

function parseCursor(cursor: string): { ts: number; skip: number } | null {
  const m = CURSOR.exec(cursor);
  return m ? { ts: Number(m[1]), skip: Number(m[2]) } : null;
}

export async function readReplayPage(
  store: Store,
  req: ReplayPageRequest,
  limits: ReplayPageLimits,
  /** the reader's data scope (scenes/scope.ts `eventInScope`); absent = every event */
  include: (e: LogEvent) => boolean = () => true,
): Promise<ReplayPage> {
  if (req.toTs < req.fromTs) return { ok: false, error: iocError('E_VALIDATION', 'toTs must not be before fromTs') };
  let startTs = req.fromTs;
  let skip = 0;
  if (req.cursor !== undefined) {
    const c = parseCursor(req.cursor);
    if (!c || c.ts < req.fromTs || c.ts > req.toTs) return { ok: false, error: iocError('E_VALIDATION', 'cursor does not belong to this range') };
    startTs = c.ts;
    skip = c.skip;
  }
  const read = await store.readEvents(startTs, req.toTs, limits.replayPageMaxEvents + skip);
  const fresh = read.slice(skip);
  const events: LogEvent[] = [];
  let bytes = 0;
  /** position after the last event consumed: its ts and how many events with that ts are consumed */
  let posTs = startTs;
  let posCount = skip;
  let stoppedEarly = false;
  for (const e of fresh) {
    const wanted = (req.scene === null || e.scene === req.scene) && include(e);
    if (wanted) {
      const size = Buffer.byteLength(JSON.stringify(e));
      if (events.length > 0 && bytes + size > limits.replayPageMaxBytes) {
        stoppedEarly = true;
        break;
      }
      bytes += size;
      events.push(e);
    }
    if (e.ts === posTs) posCount++;
    else {
      posTs = e.ts;
      posCount = 1;
    }
  }
  // a full read may have more behind it; a short one reached the end of the range
  const more = stoppedEarly || read.length >= limits.replayPageMaxEvents + skip;
  return more ? { ok: true, events, next: `${posTs}.${posCount}` } : { ok: true, events };
}
