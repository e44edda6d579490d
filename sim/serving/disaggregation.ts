import { InputError } from '../errors.js';
import { decodeBatch, prefillBatch, type StepTimeModel } from './step-time/types.js';

/**
 * Prefill/decode disaggregation as closed-form arithmetic: a request is prefilled on a prefill replica, its KV
 * cache is sent to a decode replica (bytes per token × prompt over the link between the pools), and generated
 * there. TTFT = prefill queueing + prefill + KV transfer; TPOT = the decode replica's step time at the batch its
 * share of the load keeps in flight.
 */

/** The link between the pools as a run resolves it (deployment.disaggregation.kvTransfer and the model). */
export interface KvTransferLink {
  /** Bytes per second. */
  readonly bandwidth: number;
  /** Seconds per transfer. */
  readonly latency: number;
  /** KV cache bytes of one token of the model (every layer, K and V). */
  readonly bytesPerToken: number;
}

/** Seconds to move a prompt's KV cache between the pools: latency + bytes per token × prompt / bandwidth. */
export function kvTransferSeconds(promptTokens: number, kvBytesPerToken: number, linkBytesPerSec: number, linkLatencySec: number): number {
  if (!(linkBytesPerSec > 0)) throw new InputError(`KV transfer bandwidth is ${linkBytesPerSec}; expected bytes per second > 0`, 'kvTransfer.bandwidth');
  return linkLatencySec + (promptTokens * kvBytesPerToken) / linkBytesPerSec;
}

/** One replica of each role, as the step-time model gives it. */
export interface PdReplicaCosts {
  /** Seconds to prefill one prompt on one prefill replica. */
  readonly prefillSeconds: number;
  /** Decode step time of one decode replica as a + b × batch (a line through two step-time evaluations). */
  readonly decodeStepFixed: number;
  readonly decodeStepPerSeq: number;
  /** KV transfer seconds of one prompt. */
  readonly transferSeconds: number;
}

export interface PdLoad {
  /** Requests per second sent to this pair of pools. */
  readonly rate: number;
  readonly outputTokens: number;
}

export interface PdLatency {
  /** Seconds; Infinity when a pool is saturated or empty. */
  readonly ttft: number;
  readonly tpot: number;
  readonly prefillUtilisation: number;
  /** Sequences each decode replica holds in its batch. */
  readonly decodeBatch: number;
}

/**
 * Latency of `load` spread evenly over `prefill` and `decode` ready replicas. Prefill is an M/D/1 queue per
 * replica (wait ρ / (2 μ (1 − ρ))); a decode replica serving λ_d requests of `outputTokens` keeps
 * b = λ_d × out × t(b) sequences in flight (Little), so with t(b) = a + c b: b = λ_d out a / (1 − λ_d out c).
 * Example: 2 prefill replicas at 0.5 s a prompt and 2 req/s ⇒ ρ = 0.5 and TTFT = 0.5 + 0.25 + transfer.
 */
export function pdLatency(prefill: number, decode: number, load: PdLoad, costs: PdReplicaCosts): PdLatency {
  if (load.rate === 0) return { ttft: 0, tpot: 0, prefillUtilisation: 0, decodeBatch: 0 };
  if (prefill === 0 || decode === 0) return { ttft: Infinity, tpot: Infinity, prefillUtilisation: Infinity, decodeBatch: Infinity };
  const rho = (load.rate / prefill) * costs.prefillSeconds;
  const ttft = rho >= 1 ? Infinity : costs.prefillSeconds + (rho * costs.prefillSeconds) / (2 * (1 - rho)) + costs.transferSeconds;
  const tokenRate = (load.rate / decode) * load.outputTokens;
  const denominator = 1 - tokenRate * costs.decodeStepPerSeq;
  const batch = denominator <= 0 ? Infinity : (tokenRate * costs.decodeStepFixed) / denominator;
  const tpot = batch === Infinity ? Infinity : costs.decodeStepFixed + costs.decodeStepPerSeq * batch;
  return { ttft, tpot, prefillUtilisation: rho, decodeBatch: batch };
}

/** Ready replicas of one role by version. */
export interface RoleCounts {
  readonly old: number;
  readonly new: number;
}

/**
 * How far a version's prefill pool is from the ratio the fleet was sized for, in prefill replicas:
 * max over versions with any ready replica of |P_v − D_v × P / D|. 0 when every version keeps the ratio; a version
 * with prefill and no decode (or the reverse) is off by all its replicas.
 */
export function ratioDrift(prefill: RoleCounts, decode: RoleCounts, targetPrefill: number, targetDecode: number): number {
  let drift = 0;
  for (const v of ['old', 'new'] as const) {
    drift = Math.max(drift, Math.abs(prefill[v] - (decode[v] * targetPrefill) / targetDecode));
  }
  return drift;
}

/**
 * Fleet latency when a request's KV may only move between replicas of the same version (the KV layout and the
 * connector can change between versions): the gateway sends requests only to versions with both roles ready, in
 * proportion to their ready prefill replicas, and each version's pools serve their share. Returns the
 * load-weighted TTFT and TPOT (Infinity when no version has both roles ready, or a pool is saturated).
 * Example: prefill {old 1, new 3}, decode {old 2, new 0}: all the load goes to the one old prefill replica.
 */
export function fleetPdLatency(prefill: RoleCounts, decode: RoleCounts, load: PdLoad, costs: Readonly<Record<'old' | 'new', PdReplicaCosts>>): { ttft: number; tpot: number } {
  let servable = 0;
  for (const v of ['old', 'new'] as const) if (decode[v] > 0) servable += prefill[v];
  if (servable === 0) return { ttft: Infinity, tpot: Infinity };
  let ttft = 0;
  let tpot = 0;
  for (const v of ['old', 'new'] as const) {
    if (decode[v] === 0 || prefill[v] === 0) continue;
    const share = prefill[v] / servable;
    const l = pdLatency(prefill[v], decode[v], { rate: load.rate * share, outputTokens: load.outputTokens }, costs[v]);
    ttft += share * l.ttft;
    tpot += share * l.tpot;
  }
  return { ttft, tpot };
}

/**
 * A role's costs from its step-time models: prefill of one `prompt`; the decode step as a line through batch 1
 * and batch 64 at `context` tokens; the KV transfer of one prompt.
 */
export function replicaCosts(
  prefill: StepTimeModel,
  decode: StepTimeModel,
  prompt: number,
  context: number,
  transferSeconds: number,
): PdReplicaCosts {
  const one = decode.stepSeconds(decodeBatch(1, context));
  const many = decode.stepSeconds(decodeBatch(64, context));
  const perSeq = (many - one) / 63;
  return { prefillSeconds: prefill.stepSeconds(prefillBatch(prompt)), decodeStepFixed: one - perSeq, decodeStepPerSeq: perSeq, transferSeconds };
}
