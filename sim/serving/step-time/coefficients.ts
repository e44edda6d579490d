import { z } from 'zod';
import { InputError } from '../../errors.js';
import type { BatchShape, StepTimeModel } from './types.js';

/** a + b·x + c·y in milliseconds; what x and y are depends on the phase. */
const zAbc = z.strictObject({ a: z.number(), b: z.number(), c: z.number() });

/**
 * DistServe's closed form (simdistserve `time_estimator.py`, distserve `simulator/estimator.py`), coefficients
 * in milliseconds as in its profiler JSON:
 * - prefill_ms = a + b·Σl + c·Σl²  (l = each prompt chunk);
 * - decode_ms = a + b·Σctx + c·batch, optionally with a second fit from a batch size up (DistServe switches at
 *   its `decoding_large_small_bs_threshold`, 95 for its A100 profiles).
 */
export const zCoefficientParams = z.strictObject({
  prefill: zAbc.meta({ description: 'ms = a + b·Σ prompt tokens + c·Σ prompt tokens²' }),
  decode: zAbc.meta({ description: 'ms = a + b·Σ context tokens + c·batch size' }),
  decodeLargeBatch: zAbc
    .extend({ fromBatch: z.int().min(2) })
    .optional()
    .meta({ description: 'decode fit used from this batch size up' }),
});
export type CoefficientParams = z.output<typeof zCoefficientParams>;

/**
 * Σl² is taken from the causal `prefillAttentionPairs` as 2 × pairs − tokens (= Σ chunk² + 2 chunk × cached),
 * which equals Σl² for fresh prompts and keeps the quadratic term's meaning, attention work, for chunks on a
 * cached prefix. A mixed step (chunked
 * prefill with decodes, which DistServe never runs) costs both parts with the fixed cost paid once:
 * prefill + decode − min(prefill.a, decode.a). An empty batch costs nothing.
 */
export class CoefficientStepTime implements StepTimeModel {
  readonly name = 'coefficients (DistServe closed form)';
  private readonly p: CoefficientParams;
  private readonly largeFrom: number;

  constructor(params: CoefficientParams) {
    this.p = params;
    this.largeFrom = params.decodeLargeBatch?.fromBatch ?? Infinity;
    // A fit that goes negative at ordinary batches is a sign typo, not a model.
    for (const batch of [1, 16, 256]) {
      const ms = this.decodeMs(batch, batch * 1024);
      if (!(ms > 0)) throw new InputError(`gives ${ms.toFixed(3)} ms for ${batch} sequences at 1024 tokens of context; expected a positive time (check the signs of a, b, c)`, 'stepTime.coefficients.decode');
    }
    for (const tokens of [1, 8192]) {
      const ms = this.prefillMs(tokens, tokens * tokens);
      if (!(ms > 0)) throw new InputError(`gives ${ms.toFixed(3)} ms for a ${tokens}-token prompt; expected a positive time (check the signs of a, b, c)`, 'stepTime.coefficients.prefill');
    }
  }

  stepSeconds(b: BatchShape): number {
    const hasPrefill = b.prefillTokens > 0;
    const hasDecode = b.decodeSeqs > 0;
    if (hasPrefill && hasDecode) {
      const sharedFixed = Math.min(this.p.prefill.a, this.decodeFit(b.decodeSeqs).a);
      return (this.prefillMs(b.prefillTokens, sumOfSquares(b)) + this.decodeMs(b.decodeSeqs, b.decodeContextTokens) - sharedFixed) / 1000;
    }
    if (hasPrefill) return this.prefillMs(b.prefillTokens, sumOfSquares(b)) / 1000;
    if (hasDecode) return this.decodeMs(b.decodeSeqs, b.decodeContextTokens) / 1000;
    return 0;
  }

  private prefillMs(tokens: number, squares: number): number {
    const f = this.p.prefill;
    return f.a + f.b * tokens + f.c * squares;
  }

  private decodeFit(batch: number): z.output<typeof zAbc> {
    return batch >= this.largeFrom && this.p.decodeLargeBatch !== undefined ? this.p.decodeLargeBatch : this.p.decode;
  }

  private decodeMs(batch: number, contextTokens: number): number {
    const f = this.decodeFit(batch);
    return f.a + f.b * contextTokens + f.c * batch;
  }
}

/** DistServe's Σl² from the causal pair count (see CoefficientStepTime). */
function sumOfSquares(b: BatchShape): number {
  return 2 * b.prefillAttentionPairs - b.prefillTokens;
}
