import type { DropCause, RejectCause, TimeoutCause } from '../traffic/request.js';

/** Compiles only when T is never: used to prove that the column lists below cover their unions. */
type AssertNever<T extends never> = T;

export const DROP_CAUSES = [
  'sigterm-abort',
  'drain-timeout',
  'sigkill',
  'eviction',
  'crash',
  'server-error',
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

/**
 * Cluster and server state sampled at each window end (instantaneous values, not window averages).
 * Replica and pod counts are per version role; GPU counts are over the whole cluster.
 */
export const GAUGE_FIELDS = [
  /** Requests waiting in the servers' own queues, all pods. */
  'waiting',
  /** Requests in the servers' running batches, all pods. */
  'running',
  /** Requests held in the gateway's central queue. */
  'gatewayQueue',
  /** Mean KV-cache use of the serving pods, 0..1. */
  'kvUsage',
  /** Ready pods per version. */
  'readyOld',
  'readyNew',
  /** Endpoints the gateway currently routes to, per version (lags readiness by the propagation delay). */
  'endpointsOld',
  'endpointsNew',
  /** Pods per version that are not terminating (pending, starting or ready): Σ ReplicaSet status.replicas. */
  'podsOld',
  'podsNew',
  /** GPUs held by pods that are starting up, serving, or terminating. */
  'gpusStarting',
  'gpusServing',
  'gpusDraining',
  /** All GPUs bound to pods (starting + serving + draining). */
  'gpusHeld',
  /** GPUs the current nodes offer. */
  'gpusAllocatable',
  /** Pods waiting for a node. */
  'pendingPods',
  'nodes',
] as const;

export type GaugeField = (typeof GAUGE_FIELDS)[number];

export interface Gauges extends Record<GaugeField, number> {}

/** Per-window request figures. Latencies are in milliseconds and null when the window has no sample. */
export interface SeriesCore {
  /** End of the window, simulated seconds. */
  t: number;
  /** Length of the window (the last one may be shorter). */
  windowSeconds: number;
  /** Logical requests that arrived in the window. */
  arrivals: number;
  completed: number;
  /** Output tokens of the requests completed in the window, per second of the window. */
  outputTokensPerSec: number;
  /** TTFT of requests whose first token came in the window. */
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  ttftP99Ms: number | null;
  /** TPOT and end-to-end latency of requests completed in the window. */
  tpotP50Ms: number | null;
  tpotP95Ms: number | null;
  tpotP99Ms: number | null;
  e2eP50Ms: number | null;
  e2eP95Ms: number | null;
  e2eP99Ms: number | null;
  /** Final failures recorded in the window (cause break-down in the `<outcome>:<cause>` columns). */
  dropped: number;
  rejected: number;
  timedOut: number;
}

export type CauseCounts = Record<CauseColumn, number>;

/** One row per time window: the timeseries.csv line and the data behind the charts. */
export interface SeriesRow extends SeriesCore, CauseCounts, Gauges {}

const CORE_COLUMNS = [
  't',
  'windowSeconds',
  'arrivals',
  'completed',
  'outputTokensPerSec',
  'ttftP50Ms',
  'ttftP95Ms',
  'ttftP99Ms',
  'tpotP50Ms',
  'tpotP95Ms',
  'tpotP99Ms',
  'e2eP50Ms',
  'e2eP95Ms',
  'e2eP99Ms',
  'dropped',
  'rejected',
  'timedOut',
] as const satisfies readonly (keyof SeriesCore)[];
type CoreColumnsComplete = AssertNever<Exclude<keyof SeriesCore, (typeof CORE_COLUMNS)[number]>>;

/** Every SeriesRow key in CSV column order. */
export const SERIES_COLUMNS: readonly (keyof SeriesRow)[] = [...CORE_COLUMNS, ...CAUSE_COLUMNS, ...GAUGE_FIELDS];
