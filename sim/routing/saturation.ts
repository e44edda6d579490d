import type { Endpoint } from './endpoint.js';
import type { ScrapedMetrics } from './pod-metrics.js';

/** The EPP's saturation detector thresholds. */
export interface SaturationThresholds {
  /** A pod with more waiting requests than this has no good capacity (QueueDepthThreshold). */
  queueDepth: number;
  /** A pod with more KV-cache use than this, 0..1, has no good capacity (KVCacheUtilThreshold). */
  kvCache: number;
  /** A pod whose metrics are older than this many seconds does not count (MetricsStalenessThreshold). */
  metricsStaleness: number;
}

/**
 * True when no candidate has good capacity, as the EPP's saturation detector decides it: a pod has good
 * capacity when its metrics are fresh, its waiting queue is at most `queueDepth` and its KV-cache use at most
 * `kvCache`. No candidates at all is saturated too (nowhere to send anything).
 */
export function allSaturated(candidates: readonly Endpoint[], metrics: ScrapedMetrics, now: number, limits: SaturationThresholds): boolean {
  for (let i = 0; i < candidates.length; i++) {
    const podId = candidates[i].podId;
    if (metrics.ageOf(podId, now) > limits.metricsStaleness) continue;
    if (metrics.waitingOf(podId) > limits.queueDepth) continue;
    if (metrics.kvUsageOf(podId) > limits.kvCache) continue;
    return false;
  }
  return true;
}
