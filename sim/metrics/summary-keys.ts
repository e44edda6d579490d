import { gridFields, SUMMARY_LATENCY } from './latency-fields.js';
import { CAUSES_BY_OUTCOME } from './series.js';
import type { LatencyStats, Summary } from './summary-types.js';

/**
 * The key order of an object type: `true` for a leaf, 'sorted' for a record keyed by data (e.g. causes), a
 * nested order for a nested object. Typed so that a key added to the contract must be placed here.
 */
export type KeyOrder<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends object
    ? string extends keyof NonNullable<T[K]>
      ? 'sorted'
      : KeyOrder<NonNullable<T[K]>>
    : true;
};
export type KeyNode = true | 'sorted' | { readonly [key: string]: KeyNode };

const LATENCY_STATS_ORDER = {
  ...Object.fromEntries(gridFields(SUMMARY_LATENCY).map((field) => [field.name, true])),
  samples: true,
} as KeyOrder<LatencyStats>;

/** The contract's own order (summary-types.ts), so the file reads top-down like the contract. */
const SUMMARY_ORDER: KeyOrder<Summary> = {
  scenario: true,
  strategy: true,
  seed: true,
  simulatedSeconds: true,
  requests: {
    arrived: true,
    completed: true,
    dropped: true,
    expectedDropped: true,
    rejected: true,
    timedOut: true,
    inFlightAtEnd: true,
    droppedByCause: 'sorted',
    rejectedByCause: 'sorted',
    timedOutByCause: 'sorted',
    droppedStreamedTokens: true,
    retries: true,
  },
  latency: {
    overall: LATENCY_STATS_ORDER,
    baseline: LATENCY_STATS_ORDER,
    rollout: LATENCY_STATS_ORDER,
    peakWindow: { ttftP95Ms: true, at: true },
    spikeRatio: true,
  },
  rollout: {
    startedAt: true,
    finishedAt: true,
    durationSeconds: true,
    outcome: true,
    minReadyReplicas: true,
    reason: true,
    blockedBy: true,
    fix: true,
  },
  capacity: {
    clusterGpus: true,
    steadyGpus: true,
    peakGpus: true,
    surgeGpus: true,
    pendingPodSeconds: true,
    gpuHours: true,
    nodeGpuHours: true,
    nodesAdded: true,
    minExtraGpus: true,
  },
  startup: {
    podsReady: true,
    timeToReadyMeanSeconds: true,
    timeToReadyMaxSeconds: true,
    firstNewPodSeconds: true,
    laterNewPodsMeanSeconds: true,
    peerCopies: true,
    peerFallbacks: true,
    compileCacheHits: true,
    compileColdRuns: true,
  },
  prefixCache: { hitRate: true, baselineHitRate: true, rolloutHitRate: true, rolloutMinWindowHitRate: true, dip: true },
  goodput: { sloAttainment: true },
  risk: { pAnyDrop: true, dropEstimator: true },
  gateway: { noEndpointSeconds: true, longestNoEndpointSeconds: true, waitedForEndpoint: true, waitExpired: true, rerouted: true },
  autoscaling: { minDesired: true, maxDesired: true, scaleUps: true, scaleDowns: true, desiredAtRolloutStart: true, maxDesiredDuringRollout: true },
  lora: {
    adapterRequests: true,
    hitRequests: true,
    missRequests: true,
    adapterLoads: true,
    loadsFromHost: true,
    loadsFromStorage: true,
    slotWaits: true,
    hitTtftP50Ms: true,
    hitTtftP95Ms: true,
    missTtftP50Ms: true,
    missTtftP95Ms: true,
    missTtftDeltaP50Ms: true,
    fromRequests: true,
    toRequests: true,
    toShare: true,
    extraGpuHours: true,
  },
  disaggregation: {
    prefillReplicas: true,
    decodeReplicas: true,
    targetRatio: true,
    ratioOldMin: true,
    ratioOldMax: true,
    ratioNewMin: true,
    ratioNewMax: true,
    maxRatioDrift: true,
    prefillSecondsMean: true,
    prefillSecondsP95: true,
    transferSecondsMean: true,
    transferSecondsP95: true,
    noPrefillEndpoint: true,
    failedOnPrefillPod: true,
    cutByDecodePod: true,
  },
  groups: { size: true, newSize: true, recreated: true, rankLosses: true },
  engine: { events: true, wallSeconds: true },
};

/** Every key of the summary contract, in its order: for summary.json's key order and to check assertion fields. */
export const SUMMARY_KEYS = SUMMARY_ORDER as KeyNode;

/** The causes a `<outcome>ByCause` record can hold: every one reads 0 in assertions when it never happened. */
export const CAUSE_RECORDS: Readonly<Record<string, readonly string[]>> = {
  droppedByCause: CAUSES_BY_OUTCOME.dropped,
  rejectedByCause: CAUSES_BY_OUTCOME.rejected,
  timedOutByCause: CAUSES_BY_OUTCOME.timedOut,
};

/** Why `path` (e.g. ['requests', 'dropped']) is not a field of the summary, or null when it is. */
export function summaryFieldProblem(path: readonly (string | number)[]): string | null {
  let node: KeyNode = SUMMARY_KEYS;
  for (const [i, key] of path.entries()) {
    const where = i === 0 ? 'the summary' : `"${path.slice(0, i).join('.')}"`;
    if (node === true) return `${where} is a value, not a group of fields`;
    if (node === 'sorted') {
      const causes = CAUSE_RECORDS[String(path[i - 1])] ?? [];
      if (i !== path.length - 1) return `${where} maps causes to counts`;
      return causes.includes(String(key)) ? null : `${where} has no cause "${String(key)}" (causes: ${causes.join(', ')})`;
    }
    const next: KeyNode | undefined = typeof key === 'string' && Object.hasOwn(node, key) ? node[key] : undefined;
    if (next === undefined) return `${where} has no field "${String(key)}" (it has: ${Object.keys(node).join(', ')})`;
    node = next;
  }
  return node === true || node === 'sorted' ? null : `"${path.join('.')}" is a group of fields; name one of them`;
}
