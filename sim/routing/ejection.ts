import type { RejectCause } from '../traffic/request.js';

/**
 * Envoy outlier detection's default base_ejection_time: how long a pod that refused a request stays out of the
 * router's choice (unless it leaves the router's view first).
 */
export const EJECTION_SECONDS = 30;

/** Refusals that say the pod does not serve (gone, not started, draining), not that it is busy or failing. */
export function refusedAsUnavailable(cause: RejectCause): boolean {
  return cause === 'connection-refused' || cause === 'server-not-ready' || cause === 'server-draining';
}

/**
 * Pods a waiting router has seen refuse a request as unavailable: it routes around them for EJECTION_SECONDS,
 * as Envoy retries on connect-failure with previous hosts excluded and ejects outliers (docs/gateway.md).
 */
export class PassiveEjection {
  private readonly since = new Map<number, number>();

  get size(): number {
    return this.since.size;
  }

  eject(podId: number, now: number): void {
    this.since.set(podId, now);
  }

  isEjected(podId: number, now: number): boolean {
    const at = this.since.get(podId);
    if (at === undefined) return false;
    if (now - at < EJECTION_SECONDS) return true;
    this.since.delete(podId);
    return false;
  }
}
