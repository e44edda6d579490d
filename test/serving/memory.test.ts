import { describe, expect, it } from 'vitest';
import type { KvDtype, WeightDtype } from '../../sim/serving/catalog/dtypes.js';
import { parameterCounts } from '../../sim/serving/catalog/models.js';
import { resolveGpu, resolveModel } from '../../sim/serving/catalog/resolve.js';
import {
  activationBytesPerGpu,
  assertFits,
  kvBytesPerToken,
  kvBytesPerTokenPerGpu,
  kvBytesPerTokenPerReplica,
  kvCacheCapacity,
  kvHeadsPerGpu,
  weightBytes,
  weightBytesPerGpu,
} from '../../sim/serving/memory.js';
import { inputError } from '../helpers/input-error.js';

const GiB = 1024 ** 3;

function replica(model: string, tp: number, weightDtype: WeightDtype = 'bf16', kvDtype: KvDtype = 'bf16', gpu = 'h100-80gb') {
  return { model: resolveModel(model), gpu: resolveGpu(gpu), tensorParallel: tp, weightDtype, kvDtype };
}

describe('weights and KV per token (serving-model.md §4.1)', () => {
  // BF16 weights to the table's 0.1 GiB (756/764 GiB: to the GiB); KV bytes/token exact.
  it.each([
    ['llama-2-7b', 12.6, 0.05, 524288],
    ['llama-2-70b', 128.5, 0.05, 327680],
    ['llama-3.1-8b', 15.0, 0.05, 131072],
    ['llama-3.1-70b', 131.4, 0.05, 327680],
    ['llama-3.1-405b', 756, 0.5, 516096],
    ['llama-3.1-405b-kv16', 764, 0.5, 1032192],
    ['mixtral-8x7b', 87.0, 0.05, 131072],
    ['qwen2.5-7b', 14.2, 0.05, 57344],
    ['qwen2.5-72b', 135.4, 0.05, 327680],
  ])('%s: %d GiB of bf16 weights, %d B of KV per token', (name, weightGiB, halfDigit, kvBytes) => {
    const m = resolveModel(name);
    expect(Math.abs(weightBytes(m, 'bf16') / GiB - weightGiB)).toBeLessThanOrEqual(halfDigit);
    expect(kvBytesPerToken(m, 'bf16')).toBe(kvBytes);
    expect(kvBytesPerToken(m, 'fp8')).toBe(kvBytes / 2);
  });

  it('quantises only the attention/MLP matrices: embeddings and lm_head stay 16-bit', () => {
    const m = resolveModel('llama-3.1-8b');
    const p = parameterCounts(m);
    expect(p.embedding + p.lmHead).toBe(2 * 128256 * 4096);
    expect(p.matrices).toBe(p.total - p.embedding - p.lmHead - p.small);
    expect(weightBytes(m, 'bf16') - weightBytes(m, 'fp8')).toBe(p.matrices);
    expect(weightBytes(m, 'bf16') - weightBytes(m, 'int4')).toBe(1.5 * p.matrices);
    expect(weightBytesPerGpu(m, 'bf16', 4)).toBe(weightBytes(m, 'bf16') / 4);
  });

  it('splits KV heads over TP ranks and replicates them when there are fewer heads than ranks', () => {
    const m70 = resolveModel('llama-3.1-70b');
    expect(kvHeadsPerGpu(m70, 4)).toBe(2);
    expect(kvHeadsPerGpu(m70, 8)).toBe(1);
    expect(kvHeadsPerGpu(m70, 16)).toBe(1);
    expect(kvBytesPerTokenPerGpu(m70, 'bf16', 4)).toBe(327680 / 4);
    expect(kvBytesPerTokenPerReplica(m70, 'bf16', 8)).toBe(327680);
    // 16 ranks each hold one of 8 heads: every token is stored twice across the replica.
    expect(kvBytesPerTokenPerReplica(m70, 'bf16', 16)).toBe(2 * 327680);
  });
});

describe('KV capacity per replica (util 0.9, block 16, 80 GiB, vLLM profile at 8192 tokens / 256 sequences)', () => {
  // The budget less weights, the profile run's activation peak and non-torch memory, per GPU times TP.
  it.each([
    ['llama-3-8b', 1],
    ['qwen2.5-7b', 1],
    ['mixtral-8x7b', 2],
    ['llama-3-70b', 4],
    ['llama-3-70b', 8],
    ['qwen2.5-72b', 4],
  ] as const)('H100 %s TP%i: KV = budget − weights − activation − non-torch, in whole blocks', (model, tp) => {
    const c = kvCacheCapacity(replica(model, tp));
    const m = resolveModel(model);
    expect(c.budgetBytes).toBeCloseTo(0.9 * 80 * GiB * tp, 0);
    expect(c.activationBytes).toBeCloseTo(tp * activationBytesPerGpu(m, tp, 8192, 256), 0);
    expect(c.nonTorchBytes).toBeCloseTo(tp === 1 ? 0.35 * GiB : 0.6 * GiB * tp, 0);
    expect(c.kvCacheBytes).toBeCloseTo(c.budgetBytes - c.weightBytes - c.activationBytes - c.nonTorchBytes, 0);
    expect(c.kvCacheBlocks).toBe(Math.floor(c.kvCacheBytes / (c.kvBytesPerToken * 16)));
    expect(c.kvCacheTokens).toBe(c.kvCacheBlocks * 16);
    expect(c.source).toBe('derived');
  });

  it('H100 Llama-3.1-405B (16 KV heads) FP8 TP8: the weights kept in bf16 (embeddings, lm_head) cost KV', () => {
    // BLIS's table (serving-model.md §4.2) counts every parameter at 1 byte; vLLM keeps embeddings and lm_head
    // (4.2 B parameters) in bf16, 3.9 GiB less for KV than a 1-byte count.
    const c = kvCacheCapacity(replica('llama-3.1-405b-kv16', 8, 'fp8'));
    const allOneByte = c.budgetBytes - parameterCounts(resolveModel('llama-3.1-405b-kv16')).total - c.activationBytes - c.nonTorchBytes;
    expect((allOneByte - c.kvCacheBytes) / GiB).toBeCloseTo(3.9, 1);
  });

  it('takes a measured "# GPU blocks" instead of the derived count', () => {
    const c = kvCacheCapacity({ ...replica('llama-3.1-8b', 1), measuredBlocks: 30000 });
    expect(c).toMatchObject({ kvCacheBlocks: 30000, kvCacheTokens: 480000, source: 'measured' });
    expect(c.kvCacheBytes).toBe(30000 * 16 * 131072);
    expect(inputError(() => kvCacheCapacity({ ...replica('llama-3.1-8b', 1), measuredBlocks: 12.5 })).message).toMatch(/^measuredBlocks: 12.5 is not a block count/);
  });

  it('scales with gpuMemoryUtilization and block size, and checks both', () => {
    const at90 = kvCacheCapacity(replica('llama-3.1-8b', 1));
    const at95 = kvCacheCapacity({ ...replica('llama-3.1-8b', 1), gpuMemoryUtilization: 0.95 });
    expect(at95.kvCacheBytes - at90.kvCacheBytes).toBeCloseTo(0.05 * 80 * GiB, 0);
    expect(kvCacheCapacity({ ...replica('llama-3.1-8b', 1), blockSize: 32 }).kvCacheBlocks).toBe(Math.floor(at90.kvCacheBlocks / 2));
    expect(inputError(() => kvCacheCapacity({ ...replica('llama-3.1-8b', 1), gpuMemoryUtilization: 1.2 })).message).toContain('gpuMemoryUtilization');
  });

  it('counts replicated KV heads against capacity (TP16 holds half the tokens per byte)', () => {
    const tp8 = kvCacheCapacity(replica('llama-3.1-70b', 8));
    const tp16 = kvCacheCapacity(replica('llama-3.1-70b', 16));
    expect(tp16.kvBytesPerToken).toBe(2 * tp8.kvBytesPerToken);
    expect(tp16.kvCacheTokens).toBeLessThan((tp16.kvCacheBytes / 327680) * 0.51);
  });

  it('refuses a max model length the cache cannot hold, as vLLM does at start-up', () => {
    expect(() => kvCacheCapacity({ ...replica('llama-3.1-8b', 1), maxModelLen: 131072 })).not.toThrow();
    const e = inputError(() => kvCacheCapacity({ ...replica('llama-3.1-70b', 4, 'bf16', 'bf16', 'l40s'), maxModelLen: 131072 }));
    expect(e.message).toMatch(/^maxModelLen: the max model length \(131072\) is larger than the \d+ tokens/);
  });
});

describe('fits check', () => {
  it('says what would fit a model too large for its GPUs', () => {
    const e = inputError(() => assertFits(replica('llama-3.1-405b', 4)));
    expect(e.message).toBe(
      'model: llama-3.1-405b (bf16, 756 GiB of weights) on 4 × h100-80gb at gpuMemoryUtilization 0.9 does not fit: 288 GiB usable, ' +
        '764 GiB needed before any KV cache (weights, activations, runtime); needs tensorParallel ≥ 16, or fp8 weights at tensorParallel ≥ 8, or int4 weights',
    );
  });

  it('passes when one block fits, and kvCacheCapacity runs it', () => {
    expect(() => assertFits(replica('llama-3.1-405b', 8, 'fp8'))).not.toThrow();
    expect(() => kvCacheCapacity(replica('llama-3.1-70b', 1))).toThrow(/tensorParallel ≥ 2/);
    expect(inputError(() => kvCacheCapacity(replica('llama-3.1-70b', 1, 'bf16', 'bf16', 'l4'))).message).toContain('needs tensorParallel ≥ 8, or fp8 weights at tensorParallel ≥ 4, or int4 weights at tensorParallel ≥ 2');
  });
});
