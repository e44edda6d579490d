import type { RunResult } from '../sim/run/result.js';
import type { LatencyStats, Summary } from '../sim/metrics/summary-types.js';
import { writeFileAtomic } from './atomic-write.js';

/**
 * The key order of an object type: `true` for a leaf, 'sorted' for a record keyed by data (e.g. causes), a
 * nested order for a nested object. Typed so that a key added to the contract must be placed here.
 */
type KeyOrder<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends object
    ? string extends keyof NonNullable<T[K]>
      ? 'sorted'
      : KeyOrder<NonNullable<T[K]>>
    : true;
};
type OrderNode = true | 'sorted' | { readonly [key: string]: OrderNode };

const LATENCY_STATS_ORDER: KeyOrder<LatencyStats> = {
  ttftMeanMs: true,
  ttftP50Ms: true,
  ttftP95Ms: true,
  ttftP99Ms: true,
  tpotMeanMs: true,
  tpotP50Ms: true,
  tpotP95Ms: true,
  e2eMeanMs: true,
  e2eP95Ms: true,
  samples: true,
};

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
  },
  goodput: { sloAttainment: true },
  engine: { events: true, wallSeconds: true },
};

/**
 * Copies `value` with its keys in `order`; keys the order does not know (the contract allows additions)
 * follow in sorted order, as do all keys of data-keyed records, so the output never depends on the order in
 * which the run happened to build its objects.
 */
function ordered(value: unknown, order: OrderNode): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || order === true) return value;
  const source = value as Record<string, unknown>;
  const known = order === 'sorted' ? [] : Object.keys(order).filter((key) => key in source);
  const extra = Object.keys(source)
    .filter((key) => !known.includes(key))
    .sort();
  const copy: Record<string, unknown> = {};
  for (const key of [...known, ...extra]) {
    const childOrder = order !== 'sorted' && key in order ? order[key] : 'sorted';
    copy[key] = ordered(source[key], childOrder);
  }
  return copy;
}

/** summary.json: the Summary contract, keys in a stable order, 2-space indent, trailing newline. */
export function renderSummaryJson(result: RunResult): string {
  return `${JSON.stringify(ordered(result.summary, SUMMARY_ORDER as OrderNode), null, 2)}\n`;
}

export function writeSummaryJson(path: string, result: RunResult): void {
  writeFileAtomic(path, renderSummaryJson(result));
}
