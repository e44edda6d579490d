import type { GridFieldName, SUMMARY_LATENCY } from './latency-fields.js';

/**
 * The summary contract: `run --json` and summary.json use exactly these keys (more may be added).
 * Invariant: requests.arrived = completed + dropped + rejected + timedOut + inFlightAtEnd.
 */

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

export interface Summary {
  scenario: string;
  strategy: string;
  seed: number;
  simulatedSeconds: number;
  requests: {
    arrived: number;
    completed: number;
    dropped: number;
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
  };
  /** Pod start-ups during the run: what the start-up levers (peers, caches, pre-pull) change. */
  startup: StartupSummary;
  goodput: { sloAttainment: number | null };
  lora?: LoraSummary;
  engine: { events: number; wallSeconds: number };
}
