import type { Endpoint } from './endpoint.js';

const INITIAL_PODS = 64;

/**
 * The pod metrics an endpoint picker works from: what it read at its last scrape of each pod, not the live
 * values. The Inference Extension's EPP refreshes every pod's queue depth and KV-cache use each
 * --refresh-metrics-interval (50 ms by default); between two scrapes it decides on the older reading.
 *
 * Kept in arrays indexed by pod id (small whole numbers handed out in order), so a per-request read is an array
 * access and a scrape allocates nothing once the arrays have grown to the highest pod id.
 */
export class ScrapedMetrics {
  private waiting = new Float64Array(INITIAL_PODS);
  private kv = new Float64Array(INITIAL_PODS);
  /** Time of the pod's last scrape; NaN: never scraped. */
  private scrapedAt = new Float64Array(INITIAL_PODS).fill(NaN);

  /** Reads the current values of these endpoints (one scrape of each). */
  scrape(endpoints: readonly Endpoint[], now: number): void {
    for (let i = 0; i < endpoints.length; i++) {
      const endpoint = endpoints[i];
      const id = endpoint.podId;
      if (id >= this.scrapedAt.length) this.grow(id);
      this.waiting[id] = endpoint.waitingCount === undefined ? 0 : endpoint.waitingCount();
      this.kv[id] = endpoint.kvUsage === undefined ? 0 : endpoint.kvUsage();
      this.scrapedAt[id] = now;
    }
  }

  /** Waiting requests at the last scrape; 0 for a pod never scraped (the EPP's empty metrics read as zero). */
  waitingOf(podId: number): number {
    return podId < this.waiting.length ? this.waiting[podId] : 0;
  }

  /** KV-cache use, 0..1, at the last scrape; 0 for a pod never scraped. */
  kvUsageOf(podId: number): number {
    return podId < this.kv.length ? this.kv[podId] : 0;
  }

  /** Seconds since the pod's last scrape; Infinity if it was never scraped. */
  ageOf(podId: number, now: number): number {
    const at = podId < this.scrapedAt.length ? this.scrapedAt[podId] : NaN;
    return Number.isNaN(at) ? Infinity : now - at;
  }

  private grow(podId: number): void {
    const size = Math.max(podId + 1, 2 * this.scrapedAt.length);
    const grown = (old: Float64Array, fill: number): Float64Array<ArrayBuffer> => {
      const next = new Float64Array(size).fill(fill);
      next.set(old);
      return next;
    };
    this.waiting = grown(this.waiting, 0);
    this.kv = grown(this.kv, 0);
    this.scrapedAt = grown(this.scrapedAt, NaN);
  }
}
