import type { DropCause, RejectCause, TimeoutCause } from '../traffic/request.js';
import { gridFields, SERIES_LATENCY, type GridFieldName } from './latency-fields.js';

/** Compiles only when T is never: used to prove that the column lists below cover their unions. */
type AssertNever<T extends never> = T;

export const DROP_CAUSES = [
  'sigterm-abort',
  'drain-timeout',
  'sigkill',
  'eviction',
  'crash',
  'server-error',
  'gateway-terminated',
  'worker-lost',
] as const satisfies readonly DropCause[];

export const REJECT_CAUSES = [
  'no-endpoint',
  'connection-refused',
  'server-not-ready',
  'server-draining',
  'queue-full',
  'gateway-queue-full',
  'aborted-before-start',
  'server-error',
] as const satisfies readonly RejectCause[];

export const TIMEOUT_CAUSES = ['ttft-timeout', 'total-timeout'] as const satisfies readonly TimeoutCause[];

type UnlistedCauses =
  | Exclude<DropCause, (typeof DROP_CAUSES)[number]>
  | Exclude<RejectCause, (typeof REJECT_CAUSES)[number]>
  | Exclude<TimeoutCause, (typeof TIMEOUT_CAUSES)[number]>;
// A cause added to request.ts without a column here fails to compile.
type CauseListsComplete = AssertNever<UnlistedCauses>;

export type FailureOutcome = 'dropped' | 'rejected' | 'timedOut';

/** Causes of each failure outcome, in column order. */
export const CAUSES_BY_OUTCOME: Readonly<Record<FailureOutcome, readonly string[]>> = {
  dropped: DROP_CAUSES,
  rejected: REJECT_CAUSES,
  timedOut: TIMEOUT_CAUSES,
};

/** A per-window count column of one outcome and cause, e.g. `dropped:sigkill`. */
export type CauseColumn = `dropped:${DropCause}` | `rejected:${RejectCause}` | `timedOut:${TimeoutCause}`;

export const CAUSE_COLUMNS: readonly CauseColumn[] = [
  ...DROP_CAUSES.map((c) => `dropped:${c}` as const),
  ...REJECT_CAUSES.map((c) => `rejected:${c}` as const),
  ...TIMEOUT_CAUSES.map((c) => `timedOut:${c}` as const),
];

/** How a series point that merges several windows (long runs, see DisplaySeries) shows a gauge. */
export type GaugeMerge =
  /** The highest sample: load and resources, whose peaks matter. */
  | 'max'
  /** The lowest sample: availability, whose dips matter. */
  | 'min'
  /** The sum of the samples: a count over the window, sampled as the difference of a running total. */
  | 'sum';

/**
 * Cluster and server state sampled at each window end (instantaneous values, not window averages), in column
 * order, with how merged series points show them. Replica and pod counts are per version role; GPU counts are
 * over the whole cluster.
 */
export const GAUGES = {
  /** Requests waiting in the servers' own queues, all pods. */
  waiting: 'max',
  /** Requests in the servers' running batches, all pods. */
  running: 'max',
  /** Requests held in the gateway's central queue. */
  gatewayQueue: 'max',
  /** Mean KV-cache use of the serving pods, 0..1. */
  kvUsage: 'max',
  /** The workload's spec.replicas: what the autoscaler asks for (constant without one). */
  desiredReplicas: 'max',
  /** Ready pods per version. */
  readyOld: 'min',
  readyNew: 'min',
  /** Endpoints the gateway currently routes to, per version (lags readiness by the propagation delay). */
  endpointsOld: 'min',
  endpointsNew: 'min',
  /** Pods per version that are not terminating (pending, starting or ready): Σ ReplicaSet status.replicas. */
  podsOld: 'max',
  podsNew: 'max',
  /** GPUs held by pods that are starting up, serving, or terminating. */
  gpusStarting: 'max',
  gpusServing: 'max',
  gpusDraining: 'max',
  /** All GPUs bound to pods (starting + serving + draining). */
  gpusHeld: 'max',
  /** GPUs the current nodes offer. */
  gpusAllocatable: 'max',
  /** Pods waiting for a node. */
  pendingPods: 'max',
  nodes: 'max',
  /** Ready pods of each role per version in a disaggregated run (docs/disaggregation.md); 0 otherwise. */
  prefillReadyOld: 'min',
  prefillReadyNew: 'min',
  decodeReadyOld: 'min',
  decodeReadyNew: 'min',
  /** Prompt tokens the servers looked up in their prefix caches during the window (vLLM's prefix_cache_queries). */
  prefixQueryTokens: 'sum',
  /** Of those, tokens found in the cache (prefix_cache_hits). */
  prefixHitTokens: 'sum',
} as const satisfies Record<string, GaugeMerge>;

export type GaugeField = keyof typeof GAUGES;

export const GAUGE_FIELDS = Object.keys(GAUGES) as readonly GaugeField[];

export interface Gauges extends Record<GaugeField, number> {}

/** Per-window request counts; a merged series point sums them over its windows. */
export interface SeriesCounts {
  /** End of the window, simulated seconds. */
  t: number;
  /** Length of the window (the last one may be shorter). */
  windowSeconds: number;
  /** Logical requests that arrived in the window. */
  arrivals: number;
  completed: number;
  /** Output tokens of the requests completed in the window, per second of the window. */
  outputTokensPerSec: number;
  /** Final failures recorded in the window (cause break-down in the `<outcome>:<cause>` columns). */
  dropped: number;
  rejected: number;
  timedOut: number;
}

/**
 * Per-window latency in milliseconds, null when the window has no sample: TTFT of requests whose first token
 * came in the window, TPOT and end-to-end latency of requests completed in it.
 */
export type SeriesLatency = { [K in GridFieldName<typeof SERIES_LATENCY>]: number | null };

export type CauseCounts = Record<CauseColumn, number>;

/** Figures derived from other columns of the same row. */
export interface SeriesRatios {
  /** prefixHitTokens / prefixQueryTokens, 0..1; null when nothing was looked up. */
  prefixHitRate: number | null;
  /** Ready prefill pods / ready decode pods of a version; null when it has no decode pod ready (or no disaggregation). */
  pdRatioOld: number | null;
  pdRatioNew: number | null;
}

/** One row per time window: the timeseries.csv line and the data behind the charts. */
export interface SeriesRow extends SeriesCounts, SeriesLatency, CauseCounts, Gauges, SeriesRatios {}

/** The prefix-cache hit rate of a window's (or merged point's) counts. */
export function prefixHitRate(gauges: Pick<Gauges, 'prefixHitTokens' | 'prefixQueryTokens'>): number | null {
  return gauges.prefixQueryTokens > 0 ? gauges.prefixHitTokens / gauges.prefixQueryTokens : null;
}

/** The counts before and after the latency columns. */
const COUNT_COLUMNS_BEFORE = ['t', 'windowSeconds', 'arrivals', 'completed', 'outputTokensPerSec'] as const;
const COUNT_COLUMNS_AFTER = ['dropped', 'rejected', 'timedOut'] as const;
type CountColumnsComplete = AssertNever<
  Exclude<keyof SeriesCounts, (typeof COUNT_COLUMNS_BEFORE)[number] | (typeof COUNT_COLUMNS_AFTER)[number]>
>;

/** The latency columns in order, with what each one computes. */
export const SERIES_LATENCY_FIELDS = gridFields(SERIES_LATENCY);

/** Every SeriesRow key in CSV column order. */
export const SERIES_COLUMNS: readonly (keyof SeriesRow)[] = [
  ...COUNT_COLUMNS_BEFORE,
  ...SERIES_LATENCY_FIELDS.map((field) => field.name),
  ...COUNT_COLUMNS_AFTER,
  ...CAUSE_COLUMNS,
  ...GAUGE_FIELDS,
  'prefixHitRate',
  'pdRatioOld',
  'pdRatioNew',
];

/** A version's prefill:decode ready-pod ratio, null without a decode pod ready. */
export function pdRatio(prefillReady: number, decodeReady: number): number | null {
  return decodeReady > 0 ? prefillReady / decodeReady : null;
}
