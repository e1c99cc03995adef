/**
 * Rolling chart windows per (device, metric): live windows filled by readings, and what scene
 * builders see — closed buckets only, republished when a bucket closes, so charts change at
 * bucket rate rather than reading rate.
 */
import type { SeriesWindow } from '../../scenes/scene-model';
import { ClosedBucketSeries } from '../closed-bucket-series';

export interface SeriesWindowsOptions {
  /** width of one chart bucket, ms */
  seriesBucketMs: number;
  /** buckets kept per series */
  seriesBuckets: number;
}

interface LiveSeries {
  window: SeriesWindow;
}

/** One device's live windows by metric; the caller keeps it per device (no lookup by device per reading). */
export interface DeviceSeries {
  readonly deviceId: string;
  readonly byMetric: Map<string, LiveSeries>;
}

export class SeriesWindows {
  /** live windows by `${deviceId}.${metric}` */
  private readonly live = new Map<string, LiveSeries>();
  /** closed buckets only, copied lazily per bucket period */
  readonly published = new ClosedBucketSeries(this.live);
  private publishedBucketStart = 0;

  constructor(private readonly opts: SeriesWindowsOptions) {}

  /** A handle for a device's windows (they are made at its first reading of each metric). */
  create(deviceId: string): DeviceSeries {
    return { deviceId, byMetric: new Map() };
  }

  record(ds: DeviceSeries, metric: string, ts: number, value: number): void {
    const bucketMs = this.opts.seriesBucketMs;
    const bucket = Math.floor(ts / bucketMs) * bucketMs;
    let s = ds.byMetric.get(metric);
    if (!s) {
      s = { window: { bucketMs, ts: [], values: [], max: [] } };
      ds.byMetric.set(metric, s);
      this.live.set(`${ds.deviceId}.${metric}`, s);
    }
    const w = s.window;
    const last = w.ts.length - 1;
    if (last >= 0 && w.ts[last] === bucket) {
      w.values[last] = value;
      if (value > w.max[last]!) w.max[last] = value;
      return;
    }
    if (last >= 0 && bucket < w.ts[last]!) return; // older than the newest bucket: charts only move forward
    w.ts.push(bucket);
    w.values.push(value);
    w.max.push(value);
    if (w.ts.length > this.opts.seriesBuckets) {
      w.ts.shift();
      w.values.shift();
      w.max.shift();
    }
  }

  /** Live (unpublished) window, copied, for device detail cards. */
  seriesOf(deviceId: string, metric: string): SeriesWindow | undefined {
    const w = this.live.get(`${deviceId}.${metric}`)?.window;
    return w ? { bucketMs: w.bucketMs, ts: [...w.ts], values: [...w.values], max: [...w.max] } : undefined;
  }

  /** Publishes the buckets closed by `nowTs`; true when a bucket closed since the last call. */
  publish(nowTs: number): boolean {
    const bucketStart = Math.floor(nowTs / this.opts.seriesBucketMs) * this.opts.seriesBucketMs;
    if (bucketStart === this.publishedBucketStart) return false;
    this.publishedBucketStart = bucketStart;
    this.published.setCutoff(bucketStart);
    return true;
  }

  /** Drops a device's windows (retired, or its kind changed). */
  forget(ds: DeviceSeries): void {
    for (const metric of ds.byMetric.keys()) this.live.delete(`${ds.deviceId}.${metric}`);
    ds.byMetric.clear();
  }
}
