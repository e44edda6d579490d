import type { Request } from '../traffic/request.js';
import type { Endpoint } from './endpoint.js';
import { endpointLoraAffinity } from './lora-affinity.js';
import type { ScrapedMetrics } from './pod-metrics.js';
import type { PrefixIndex } from './prefix-index.js';

/**
 * One weighted scorer of the endpoint picker, as the EPP's scheduling profile lists them: every candidate gets a
 * score in [0, 1] (higher is better) from each scorer, the picker adds them up times their weights and takes the
 * highest. A scorer is made once per run; `score` runs per request, so it writes into the given array rather
 * than returning one.
 */
export interface Scorer {
  readonly name: string;
  readonly weight: number;
  /** Writes the score of candidates[i] into scores[i], for i in [0, candidates.length). */
  score(candidates: readonly Endpoint[], req: Request, scores: Float64Array): void;
  /** The picker sent `req` to `endpoint` (the EPP's PreRequest hook): what a scorer learns from its own picks. */
  picked?(endpoint: Endpoint, req: Request): void;
}

/**
 * queue-scorer: the scraped waiting-queue depth, min-max normalised over the candidates (the shortest queue
 * scores 1, the longest 0; all equal: 1 each).
 */
export function queueScorer(weight: number, metrics: ScrapedMetrics): Scorer {
  return {
    name: 'queue',
    weight,
    score(candidates, _req, scores) {
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < candidates.length; i++) {
        const waiting = metrics.waitingOf(candidates[i].podId);
        scores[i] = waiting;
        if (waiting < min) min = waiting;
        if (waiting > max) max = waiting;
      }
      const range = max - min;
      for (let i = 0; i < candidates.length; i++) scores[i] = range === 0 ? 1 : (max - scores[i]) / range;
    },
  };
}

/** kv-cache-utilization-scorer: 1 − the scraped KV-cache use. */
export function kvCacheUtilizationScorer(weight: number, metrics: ScrapedMetrics): Scorer {
  return {
    name: 'kv-cache-utilization',
    weight,
    score(candidates, _req, scores) {
      for (let i = 0; i < candidates.length; i++) scores[i] = 1 - metrics.kvUsageOf(candidates[i].podId);
    },
  };
}

/**
 * prefix-cache-scorer: the share of the prompt's hash blocks the index believes the pod holds; it records each
 * pick in the index.
 */
export function prefixCacheScorer(weight: number, index: PrefixIndex): Scorer {
  return {
    name: 'prefix-cache',
    weight,
    score(candidates, req, scores) {
      const total = index.promptBlocks(req);
      for (let i = 0; i < candidates.length; i++) scores[i] = total === 0 ? 0 : index.matchedBlocks(candidates[i].podId, req) / total;
    },
    picked(endpoint, req) {
      index.record(endpoint.podId, req);
    },
  };
}

/**
 * lora-affinity-scorer: 1 for a pod that has the request's adapter active or waiting, 0.8 for one with a free
 * adapter slot, 0 for one that would make it wait for a slot (lora-affinity.ts). A base-model request scores every
 * pod 0, so it changes nothing for traffic without adapters. The pod's adapters are read at pick time: the EPP
 * reads them from the last scrape of vllm:lora_requests_info, at most one scrape interval (50 ms) older.
 */
export function loraAffinityScorer(weight: number): Scorer {
  return {
    name: 'loraAffinity',
    weight,
    score(candidates, req, scores) {
      const adapter = req.adapter;
      for (let i = 0; i < candidates.length; i++) scores[i] = adapter < 0 ? 0 : endpointLoraAffinity(candidates[i], adapter);
    },
  };
}
