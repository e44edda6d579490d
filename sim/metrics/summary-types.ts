import type { GridFieldName, SUMMARY_LATENCY } from './latency-fields.js';

/**
 * The summary contract: `run --json` and summary.json use exactly these keys (more may be added).
 * Invariant: requests.arrived = completed + dropped + rejected + timedOut + inFlightAtEnd.
 */

/** How `requests.expectedDropped` was computed (sim/run/drop-risk.ts). */
export type DropEstimator = 'conditional' | 'sample';

/** Latency of a stretch of the run, in milliseconds (null without samples): the fields of SUMMARY_LATENCY. */
export type LatencyStats = { [K in GridFieldName<typeof SUMMARY_LATENCY>]: number | null } & {
  /** Completed requests the figures are computed from. */
  samples: number;
};

/** What the start-ups of a run came to: the figures a start-up lever moves. */
export interface StartupSummary {
  /** Pods that turned Ready after being bound during the run (the initial fleet, up at t=0, excluded). */
  podsReady: number;
  /** Binding → first Ready, seconds. */
  timeToReadyMeanSeconds: number | null;
  timeToReadyMaxSeconds: number | null;
  /** The first new-version pod to turn Ready: it meets every cache cold. */
  firstNewPodSeconds: number | null;
  /** The new-version pods after it (peers, filled compile caches), mean. */
  laterNewPodsMeanSeconds: number | null;
  /** Weight loads copied from a serving peer, and those that fell back to the configured source (no peer). */
  peerCopies: number;
  peerFallbacks: number;
  /** Compiles that found their artefacts (node, shared volume or peer), and cold ones. */
  compileCacheHits: number;
  compileColdRuns: number;
}

/**
 * The fleet's prefix-cache hit rate: prompt tokens found in the servers' prefix caches over prompt tokens looked
 * up (vLLM's prefix_cache_hits / prefix_cache_queries); null without lookups. Baseline and rollout are the
 * windows of the latency summary's baseline and rollout.
 */
export interface PrefixCacheSummary {
  hitRate: number | null;
  /** Over the second half of the baseline (the first is the fleet filling its empty caches); null without a rollout. */
  baselineHitRate: number | null;
  rolloutHitRate: number | null;
  /** The lowest hit rate of a rollout window with lookups. */
  rolloutMinWindowHitRate: number | null;
  /** baselineHitRate − rolloutMinWindowHitRate: how far the rollout's worst window fell. */
  dip: number | null;
}

/** LoRA adapters (docs/lora.md): present when requests name adapters. */
export interface LoraSummary {
  /** Requests submitted to a pod with an adapter: those whose adapter was in a GPU slot, and the rest (misses). */
  adapterRequests: number;
  hitRequests: number;
  missRequests: number;
  /** Adapter loads into a GPU slot: from the host-memory cache, and from storage (not cached). */
  adapterLoads: number;
  loadsFromHost: number;
  loadsFromStorage: number;
  /** Times a waiting request was passed over because its adapter could not join the batch (max_loras). */
  slotWaits: number;
  /** TTFT of the attempts that hit / missed (arrival at the pod's gateway to first token), ms. */
  hitTtftP50Ms: number | null;
  hitTtftP95Ms: number | null;
  missTtftP50Ms: number | null;
  missTtftP95Ms: number | null;
  /** missTtftP50Ms - hitTtftP50Ms: what a miss costs a request. */
  missTtftDeltaP50Ms: number | null;
  /** An adapter rollout: requests served by the old and the new adapter, and the new one's share of both. */
  fromRequests: number | null;
  toRequests: number | null;
  toShare: number | null;
  /** GPU-hours above the steady fleet's over the run (capacity.gpuHours - steadyGpus x hours): a second pool's cost. */
  extraGpuHours: number;
}

export type RolloutOutcome = 'completed' | 'aborted' | 'rolled-back' | 'stalled' | 'none';

/** What keeps a stalled rollout from finishing (docs/preflight.md). */
export const BLOCKERS = ['gpu-capacity', 'quota', 'kueue', 'stockout', 'crash-loop', 'analysis-paused', 'image-pull'] as const;
export type BlockedBy = (typeof BLOCKERS)[number];

export interface Summary {
  scenario: string;
  strategy: string;
  seed: number;
  simulatedSeconds: number;
  requests: {
    arrived: number;
    completed: number;
    dropped: number;
    /**
     * Expected drops with the output-length draw integrated out (conditional expectation at each scheduled cut):
     * the sampled `dropped` without its rare-event noise; equal to it with replayed (known) lengths.
     */
    expectedDropped: number;
    rejected: number;
    timedOut: number;
    inFlightAtEnd: number;
    /** Break-downs by cause, e.g. { 'sigkill': 3 }. */
    droppedByCause: Record<string, number>;
    rejectedByCause: Record<string, number>;
    timedOutByCause: Record<string, number>;
    /** Output tokens that had been streamed by generations that were then dropped. */
    droppedStreamedTokens: number;
    retries: number;
  };
  latency: {
    overall: LatencyStats;
    baseline: LatencyStats;
    rollout: LatencyStats;
    peakWindow: { ttftP95Ms: number | null; at: number | null };
    /** Peak-window TTFT p95 over baseline TTFT p95; null without a rollout or a baseline. */
    spikeRatio: number | null;
  };
  rollout: {
    startedAt: number | null;
    finishedAt: number | null;
    durationSeconds: number | null;
    outcome: RolloutOutcome;
    /** Fewest ready replicas (both versions) seen during the rollout. */
    minReadyReplicas: number | null;
    reason?: string;
    /** Why a stalled rollout cannot finish; 'none' when it did not stall (or nothing holds it: it was only slow). */
    blockedBy?: BlockedBy | 'none';
    /** A change verified to let it finish (a rollout-only re-run completes with it); null when none was found. */
    fix?: string | null;
  };
  capacity: {
    clusterGpus: number;
    steadyGpus: number;
    peakGpus: number;
    surgeGpus: number;
    pendingPodSeconds: number;
    /** GPU-hours held by pods (binding to fully gone). */
    gpuHours: number;
    /** GPU-hours of the nodes that existed (the bill, idle surge nodes included). */
    nodeGpuHours: number;
    nodesAdded: number;
    /** Fewest extra GPUs (in the blocking pool, quota or ClusterQueue) that let a stalled rollout finish; null when not stalled on capacity or none helps. */
    minExtraGpus?: number | null;
  };
  /** Pod start-ups during the run: what the start-up levers (peers, caches, pre-pull) change. */
  startup: StartupSummary;
  prefixCache: PrefixCacheSummary;
  goodput: { sloAttainment: number | null };
  risk: {
    /** P(this rollout drops at least one generation) = 1 − Π(1 − p) over the streams a scheduled cut could reach. */
    pAnyDrop: number;
    /** 'conditional': from the output-length distribution; 'sample': lengths replayed from a trace, the count itself. */
    dropEstimator: DropEstimator;
  };
  /** The gateway's own view (docs/gateway.md); absent from summaries made before it existed. */
  gateway?: {
    /** Seconds the router had no routable pod of either version, in total and the longest stretch. */
    noEndpointSeconds: number;
    longestNoEndpointSeconds: number;
    /** Client attempts held for a routable pod (routing.waitForEndpoint), and those refused when the wait ran out. */
    waitedForEndpoint: number;
    waitExpired: number;
    /** Client attempts a pod refused as not serving that the router sent again, around it (waitForEndpoint). */
    rerouted: number;
  };
  /** The HPA or KEDA on the workload (docs/autoscaling.md): present when deployment.autoscaling is set. */
  autoscaling?: {
    /** Lowest and highest spec.replicas the autoscaler wrote (the initial replicas included). */
    minDesired: number;
    maxDesired: number;
    scaleUps: number;
    scaleDowns: number;
    /** spec.replicas when the rollout started, and the most while it ran; null without a rollout. */
    desiredAtRolloutStart: number | null;
    maxDesiredDuringRollout: number | null;
  };
  lora?: LoraSummary;
  /** Prefill/decode disaggregation (docs/disaggregation.md): present when deployment.disaggregation is set. */
  disaggregation?: DisaggregationSummary;
  /** Multi-node replicas (docs/multi-node.md): present when a version's replicas are LeaderWorkerSet groups. */
  groups?: GroupsSummary;
  engine: { events: number; wallSeconds: number };
}

/** What a fleet of LeaderWorkerSet groups went through (docs/multi-node.md). */
export interface GroupsSummary {
  /** Pods per replica of each version (1: one pod). */
  size: number;
  newSize: number;
  /** Groups deleted and created again after a member's container restarted (restartPolicy), not by the rollout. */
  recreated: number;
  /** Times a leader's engine lost a rank (a worker exited or died while it ran). */
  rankLosses: number;
}

/** The prefill role, the KV transfers and the prefill:decode ratio of a disaggregated run. */
export interface DisaggregationSummary {
  /** spec.replicas of each role, and prefill / decode: the ratio the fleet was sized for. */
  prefillReplicas: number;
  decodeReplicas: number;
  targetRatio: number;
  /**
   * Ready prefill pods / ready decode pods of each version while the rollout ran (at every readiness change,
   * whenever the version had a decode pod ready); null without a rollout or when it never had one.
   */
  ratioOldMin: number | null;
  ratioOldMax: number | null;
  ratioNewMin: number | null;
  ratioNewMax: number | null;
  /** Most prefill pods any version was off its share of the target ratio, max over v of |P_v − D_v × P / D|, during the rollout; null without one. */
  maxRatioDrift: number | null;
  /** Seconds from a request's arrival at its prefill pod to its first token there (queue + prefill). */
  prefillSecondsMean: number | null;
  prefillSecondsP95: number | null;
  /** Seconds of a KV transfer (latency + bytes / bandwidth). */
  transferSecondsMean: number | null;
  transferSecondsP95: number | null;
  /** Requests that ended in their prefill stage: no prefill pod of their version, refused or cut by it, cut with their decode pod. */
  noPrefillEndpoint: number;
  failedOnPrefillPod: number;
  cutByDecodePod: number;
}
