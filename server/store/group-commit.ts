/**
 * Group commit: concurrent small writes share one round trip. The first write goes out at once;
 * while a write is in flight, later ones wait and then go out together, in arrival order, cut into
 * groups of at most `maxWeight` (each group is one `write` call, the groups of one round go out
 * together). Each caller settles when the call that carried its item settles, with that call's
 * outcome: resolved only once its item is written, rejected with the call's error otherwise.
 *
 * Under light load nothing waits (every write finds nothing in flight); under load a write waits at
 * most one round trip, and the number of calls per second stays near 1 / round trip instead of
 * growing with the writers (the MQTT ingest path: one reading per message, one call per message).
 */
export interface GroupCommitOptions<T> {
  /** writes one group; rejects when none of it may be taken as written */
  write: (items: readonly T[]) => Promise<void>;
  /** weight of one item (readings); a group holds at most `maxWeight` (an item heavier than that goes alone) */
  weight: (item: T) => number;
  maxWeight: number;
}

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<T> {
  private waiting: Waiting<T>[] = [];
  private inFlight = false;

  constructor(private readonly opts: GroupCommitOptions<T>) {}

  /** Resolves when `item` was written (in a group), rejects with the error of the call that carried it. */
  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.inFlight) void this.round();
    });
  }

  /** Items waiting for the write in flight to settle (tests, metrics). */
  get pending(): number {
    return this.inFlight ? this.waiting.length : 0;
  }

  /** Writes everything waiting, then again while more arrived meanwhile. */
  private async round(): Promise<void> {
    this.inFlight = true;
    try {
      while (this.waiting.length > 0) {
        const taken = this.waiting;
        this.waiting = [];
        await Promise.all(this.groups(taken).map((group) => this.writeGroup(group)));
      }
    } finally {
      this.inFlight = false;
    }
  }

  private groups(taken: Waiting<T>[]): Waiting<T>[][] {
    const out: Waiting<T>[][] = [];
    let current: Waiting<T>[] = [];
    let weight = 0;
    for (const w of taken) {
      const wt = this.opts.weight(w.item);
      if (current.length > 0 && weight + wt > this.opts.maxWeight) {
        out.push(current);
        current = [];
        weight = 0;
      }
      current.push(w);
      weight += wt;
    }
    if (current.length > 0) out.push(current);
    return out;
  }

  /** Never rejects: the outcome goes to the group's callers. */
  private async writeGroup(group: Waiting<T>[]): Promise<void> {
    try {
      await this.opts.write(group.map((w) => w.item));
    } catch (err) {
      for (const w of group) w.reject(err);
      return;
    }
    for (const w of group) w.resolve();
  }
}
