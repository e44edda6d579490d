/** Time the router had no routable endpoint at all, measured from its own view as endpoints come and go. */
export interface RoutableTimeStats {
  /** Seconds with no routable endpoint, in total and the longest stretch. */
  readonly noEndpointSeconds: number;
  readonly longestNoEndpointSeconds: number;
}

export class RoutableTime {
  /** Start of the current stretch without endpoints; NaN while some endpoint is routable. */
  private since = NaN;
  private total = 0;
  private longest = 0;

  constructor(now: number) {
    this.since = now;
  }

  /** The router now has `routable` endpoints. */
  update(now: number, routable: number): void {
    if (routable === 0) {
      if (Number.isNaN(this.since)) this.since = now;
      return;
    }
    if (Number.isNaN(this.since)) return;
    this.close(now);
    this.since = NaN;
  }

  /** The totals up to `now` (a stretch still open counts up to `now`). */
  stats(now: number): RoutableTimeStats {
    const open = Number.isNaN(this.since) ? 0 : now - this.since;
    return { noEndpointSeconds: this.total + open, longestNoEndpointSeconds: Math.max(this.longest, open) };
  }

  private close(now: number): void {
    const length = now - this.since;
    this.total += length;
    if (length > this.longest) this.longest = length;
  }
}
