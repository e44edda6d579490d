import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parameterCounts } from '../../sim/serving/catalog/models.js';
import { resolveGpu, resolveModel } from '../../sim/serving/catalog/resolve.js';
import { CoefficientStepTime, zCoefficientParams } from '../../sim/serving/step-time/coefficients.js';
import { createStepTimeModel, zStepTimeSpec } from '../../sim/serving/step-time/factory.js';
import { parseProfileTable, ProfileStepTime } from '../../sim/serving/step-time/profile-table.js';
import { allReduceSeconds, DEFAULT_KERNEL_PARAMS, DEFAULT_OVERHEAD_PARAMS, RooflineStepTime } from '../../sim/serving/step-time/roofline.js';
import { causalPairs, decodeBatch as decode, prefillBatch, type BatchShape } from '../../sim/serving/step-time/types.js';
import { inputError } from '../helpers/input-error.js';

const EMPTY: BatchShape = { prefillTokens: 0, prefillSeqs: 0, prefillAttentionPairs: 0, prefillCachedTokens: 0, decodeSeqs: 0, decodeContextTokens: 0 };
/** `seqs` fresh prompts sharing `tokens` new tokens evenly. */
const prefill = (tokens: number, seqs = 1): BatchShape => prefillBatch(tokens / seqs, seqs);
const BF16 = { weightDtype: 'bf16', kvDtype: 'bf16' } as const;
const H100 = resolveGpu('h100-80gb');
const relative = (a: number, b: number) => Math.abs(a / b - 1);

function roofline(model: string, gpu: string | typeof H100, tp: number, dtypes: { weightDtype: 'bf16' | 'fp8' | 'int4'; kvDtype: 'bf16' | 'fp8' } = BF16, overrides = {}) {
  return new RooflineStepTime(resolveModel(model), resolveGpu(gpu), tp, dtypes, overrides);
}

describe('roofline step time (per operator)', () => {
  const memoryRate = 3.35e12 * H100.efficiency.hbm;
  const m8b = resolveModel('llama-3.1-8b');
  const p8b = parameterCounts(m8b);
  const kvBytesPerToken = 2 * 32 * 8 * 128 * 2;

  it('a batch-1 decode step streams every matrix and lm_head once, plus one latency per kernel, plus the overheads', () => {
    const kernels = 32 * 8 + 1; // 4 GEMMs, attention, 3 element-wise a layer; lm_head
    const gpu = ((p8b.matrices + p8b.lmHead) * 2) / memoryRate + kernels * DEFAULT_KERNEL_PARAMS.kernelLatencySec;
    const model = roofline('llama-3.1-8b', 'h100-80gb', 1);
    // activations and one token of KV are the only other bytes (well under 0.1 %)
    expect(relative(model.gpuSeconds(decode(1, 0)), gpu)).toBeLessThan(1e-3);
    expect(model.overheadSeconds(decode(1, 0))).toBeCloseTo(DEFAULT_OVERHEAD_PARAMS.stepOverheadSec + DEFAULT_OVERHEAD_PARAMS.sequenceOverheadSec, 12);
    expect(model.stepSeconds(decode(1, 0))).toBeCloseTo(model.gpuSeconds(decode(1, 0)) + model.overheadSeconds(decode(1, 0)), 12);
  });

  it('sums per-operator rooflines: decode KV reads add to compute-bound GEMMs instead of hiding under them', () => {
    const model = roofline('llama-3.1-8b', 'h100-80gb', 1);
    // at 256 tokens the GEMMs are compute-bound; attention reads 256 × 1024 tokens of KV on top
    const kvRead = (256 * 1024 * kvBytesPerToken) / memoryRate;
    expect(model.gpuSeconds(decode(256, 1024)) - model.gpuSeconds(decode(256, 0))).toBeCloseTo(kvRead, 12);
    const gemmCompute = (2 * (p8b.matrices) * 256) / (989.5e12 * H100.efficiency.matmul);
    expect(model.gpuSeconds(decode(256, 1024))).toBeGreaterThan(gemmCompute + kvRead);
  });

  it('counts causal prefill pairs (chunk × cached + chunk (chunk + 1) / 2) at the BF16 rate', () => {
    expect(causalPairs(4, 0)).toBe(10);
    expect(causalPairs(4, 100)).toBe(410);
    const model = roofline('llama-3.1-8b', 'h100-80gb', 1);
    const pairs = causalPairs(8192, 0);
    const noAttention = { ...prefillBatch(8192), prefillAttentionPairs: 0 };
    const attention = (4 * 32 * 32 * 128 * pairs) / (989.5e12 * H100.efficiency.matmul);
    const kvWrite = (8192 * kvBytesPerToken) / memoryRate;
    expect(model.gpuSeconds(prefillBatch(8192)) - model.gpuSeconds(noAttention)).toBeCloseTo(attention - kvWrite, 12);
  });

  it('reads the cached prefix\'s KV for a prefill chunk', () => {
    const model = roofline('llama-3.1-8b', 'h100-80gb', 1);
    const warm = model.gpuSeconds(prefillBatch(16, 1, 8192));
    const cold = model.gpuSeconds(prefillBatch(16));
    // a short chunk on a long prefix is bound by reading the prefix
    expect(warm - cold).toBeGreaterThan(((8192 * kvBytesPerToken) / memoryRate) * 0.99);
    expect(model.stepSeconds(prefillBatch(16, 1, 8192))).toBeLessThan(model.stepSeconds(prefillBatch(8208)) / 5);
  });

  it('costs nothing for an empty batch, and grows with tokens, context and sequences', () => {
    const m = roofline('llama-3.1-70b', 'h100-80gb', 4);
    expect(m.stepSeconds(EMPTY)).toBe(0);
    expect(m.overheadSeconds(EMPTY)).toBe(0);
    expect(m.stepSeconds(decode(32, 4000))).toBeGreaterThan(m.stepSeconds(decode(32, 1000)));
    expect(m.stepSeconds(decode(64, 1000))).toBeGreaterThan(m.stepSeconds(decode(32, 1000)));
    expect(m.stepSeconds(prefill(2048))).toBeGreaterThan(m.stepSeconds(prefill(1024)));
    const mixed = { ...prefill(512), decodeSeqs: 32, decodeContextTokens: 32 * 1000 };
    expect(m.stepSeconds(mixed)).toBeGreaterThan(m.stepSeconds(prefill(512)));
    expect(m.stepSeconds(mixed)).toBeGreaterThan(m.stepSeconds(decode(32, 1000)));
  });

  it('adds 2 all-reduces a layer under tensor parallelism, slower over PCIe than over NVLink', () => {
    const l40s = resolveGpu('l40s');
    expect(l40s.interconnect.kind).toBe('pcie');
    const bridged = { ...l40s, name: 'l40s-nvlink', interconnect: { kind: 'nvlink' as const, bytesPerSec: l40s.interconnect.bytesPerSec } };
    const pcie = roofline('llama-3.1-8b', l40s, 2);
    const nvlink = roofline('llama-3.1-8b', bridged, 2);
    const tokens = 8;
    const expected = 2 * 32 * (allReduceSeconds(tokens * 4096 * 2, 2, 32e9, 'pcie') - allReduceSeconds(tokens * 4096 * 2, 2, 32e9, 'nvlink'));
    expect(pcie.gpuSeconds(decode(tokens, 100)) - nvlink.gpuSeconds(decode(tokens, 100))).toBeCloseTo(expected, 12);
    expect(roofline('llama-3.1-8b', l40s, 1).gpuSeconds(decode(tokens, 100))).toBeGreaterThan(pcie.gpuSeconds(decode(tokens, 100)));
    // ring: 2 (TP − 1) steps of latency plus 2 (TP − 1) / TP of the payload over the link
    const p = DEFAULT_KERNEL_PARAMS;
    expect(allReduceSeconds(1e6, 4, 100e9, 'nvlink')).toBeCloseTo(6 * p.allReduceStepLatencySec.nvlink + (1.5 * 1e6) / (100e9 * p.allReduceEfficiency.nvlink), 15);
    expect(allReduceSeconds(1e6, 1, 100e9, 'nvlink')).toBe(0);
  });

  it('uses the GPU\'s own efficiencies', () => {
    const slowMemory = { ...H100, efficiency: { matmul: H100.efficiency.matmul, hbm: H100.efficiency.hbm / 2 } };
    const base = roofline('llama-3.1-8b', H100, 1);
    const slow = roofline('llama-3.1-8b', slowMemory, 1);
    const latencies = (32 * 8 + 1) * DEFAULT_KERNEL_PARAMS.kernelLatencySec;
    expect(slow.gpuSeconds(decode(1, 0)) - latencies).toBeCloseTo(2 * (base.gpuSeconds(decode(1, 0)) - latencies), 12);
    expect(roofline('llama-3.1-8b', H100, 1, BF16, { hbmEfficiency: H100.efficiency.hbm / 2 }).gpuSeconds(decode(1, 0))).toBeCloseTo(slow.gpuSeconds(decode(1, 0)), 12);
  });

  it('fp8 weights halve the matrices\' stream everywhere, but speed up matmuls only on GPUs with FP8 cores', () => {
    const fp8 = { weightDtype: 'fp8', kvDtype: 'bf16' } as const;
    const matrixBytesPerGpu = parameterCounts(resolveModel('llama-3.1-70b')).matrices / 4; // saved: 1 of 2 bytes
    for (const gpu of ['h100-80gb', 'a100-80gb'] as const) {
      const spec = resolveGpu(gpu);
      const saved = roofline('llama-3.1-70b', gpu, 4).stepSeconds(decode(1, 512)) - roofline('llama-3.1-70b', gpu, 4, fp8).stepSeconds(decode(1, 512));
      expect(saved).toBeCloseTo(matrixBytesPerGpu / (spec.hbmBytesPerSec * spec.efficiency.hbm), 9);
    }
    const prefillRatio = (gpu: string) => roofline('llama-3.1-70b', gpu, 4, fp8).stepSeconds(prefill(8192)) / roofline('llama-3.1-70b', gpu, 4).stepSeconds(prefill(8192));
    expect(prefillRatio('h100-80gb')).toBeLessThan(0.75);
    expect(prefillRatio('a100-80gb')).toBe(1);
  });

  it('fp8 KV halves the KV read', () => {
    const bf16 = roofline('llama-3.1-8b', 'h100-80gb', 1);
    const fp8kv = roofline('llama-3.1-8b', 'h100-80gb', 1, { weightDtype: 'bf16', kvDtype: 'fp8' });
    const kvTime = (m: RooflineStepTime) => m.stepSeconds(decode(64, 8000)) - m.stepSeconds(decode(64, 0));
    expect(kvTime(fp8kv) / kvTime(bf16)).toBeCloseTo(0.5, 6);
  });

  it('MoE reads only the routed experts at small batches, nearly all of them at large ones', () => {
    const mixtral = roofline('mixtral-8x7b', 'h100-80gb', 2);
    const dense = roofline('llama-3.1-8b', 'h100-80gb', 2);
    // batch 1 routes to 2 of 8 experts, batch 64 to 8 (1 − (6/8)^64 ≈ 1); a dense model only adds per-sequence costs
    expect(mixtral.stepSeconds(decode(64, 0)) / mixtral.stepSeconds(decode(1, 0))).toBeGreaterThan(2.5);
    expect(dense.stepSeconds(decode(64, 0)) / dense.stepSeconds(decode(1, 0))).toBeLessThan(1.3);
  });

  it('CUDA graphs off: kernel launches bound small steps, and the overhead grows by them', () => {
    const graphs = roofline('llama-3.1-8b', 'h100-80gb', 1);
    const eager = roofline('llama-3.1-8b', 'h100-80gb', 1, BF16, { cudaGraphs: false });
    const o = DEFAULT_OVERHEAD_PARAMS;
    const launches = 32 * o.eagerKernelsPerLayer * o.eagerLaunchSec;
    const small = roofline('llama-3.1-8b', 'rtx-pro-6000-blackwell', 1, BF16, { cudaGraphs: false });
    expect(eager.gpuSeconds(decode(1, 0))).toBe(graphs.gpuSeconds(decode(1, 0)));
    expect(eager.overheadSeconds(decode(1, 0))).toBeCloseTo(o.eagerStepOverheadSec + o.sequenceOverheadSec + Math.max(0, launches - eager.gpuSeconds(decode(1, 0))), 12);
    expect(small.stepSeconds(decode(1, 0))).toBeGreaterThanOrEqual(o.eagerStepOverheadSec + launches);
    expect(eager.name).toBe('roofline(llama-3.1-8b, 1 × h100-80gb, bf16/bf16 KV, eager)');
  });

  it('takes overrides', () => {
    const slow = roofline('llama-3.1-8b', 'h100-80gb', 1, BF16, { hbmEfficiency: H100.efficiency.hbm / 2 });
    const base = roofline('llama-3.1-8b', 'h100-80gb', 1);
    expect(slow.stepSeconds(decode(1, 0))).toBeGreaterThan(1.6 * base.stepSeconds(decode(1, 0)));
    expect(roofline('llama-3.1-8b', 'h100-80gb', 1, BF16, { sequenceOverheadSec: 1e-3 }).overheadSeconds(decode(10, 0))).toBeCloseTo(DEFAULT_OVERHEAD_PARAMS.stepOverheadSec + 10e-3, 12);
    expect(base.name).toBe('roofline(llama-3.1-8b, 1 × h100-80gb, bf16/bf16 KV)');
  });
});

describe('coefficient (DistServe) step time', () => {
  const params = zCoefficientParams.parse({
    prefill: { a: 10, b: 0.05, c: 1e-5 },
    decode: { a: 20, b: 0.001, c: 0.2 },
    decodeLargeBatch: { fromBatch: 95, a: 5, b: 0.001, c: 0.4 },
  });
  const model = new CoefficientStepTime(params);

  it('prefill_ms = a + b·Σl + c·Σl²', () => {
    expect(model.stepSeconds(prefill(512))).toBeCloseTo((10 + 0.05 * 512 + 1e-5 * 512 * 512) / 1000, 12);
    expect(model.stepSeconds(prefill(1024, 2))).toBeCloseTo((10 + 0.05 * 1024 + 1e-5 * 2 * 512 * 512) / 1000, 12);
  });

  it('decode_ms = a + b·Σctx + c·bs, with the large-batch fit from its threshold', () => {
    expect(model.stepSeconds(decode(32, 1000))).toBeCloseTo((20 + 0.001 * 32000 + 0.2 * 32) / 1000, 12);
    expect(model.stepSeconds(decode(94, 1000))).toBeCloseTo((20 + 0.001 * 94000 + 0.2 * 94) / 1000, 12);
    expect(model.stepSeconds(decode(95, 1000))).toBeCloseTo((5 + 0.001 * 95000 + 0.4 * 95) / 1000, 12);
  });

  it('a mixed step pays the fixed cost once; an empty one costs nothing', () => {
    const mixed = { ...prefill(512), decodeSeqs: 32, decodeContextTokens: 32000 };
    expect(model.stepSeconds(mixed)).toBeCloseTo(model.stepSeconds(prefill(512)) + model.stepSeconds(decode(32, 1000)) - 10 / 1000, 12);
    expect(model.stepSeconds(EMPTY)).toBe(0);
  });

  it('rejects fits that go negative', () => {
    const e = inputError(() => new CoefficientStepTime({ prefill: { a: 10, b: 0.05, c: 0 }, decode: { a: 20, b: -0.01, c: 0.1 } }));
    expect(e.message).toMatch(/^stepTime\.coefficients\.decode: gives -?\d/);
    expect(zCoefficientParams.safeParse({ prefill: { a: 1, b: 1 }, decode: { a: 1, b: 1, c: 1 } }).success).toBe(false);
  });
});

const PROFILE = `# Llama-3.1-8B on one H100 (made-up round numbers)
phase,tokens,batch,context,ms
prefill,128,,,12
prefill,1024,,,40
prefill,4096,,,150
decode,,1,512,8
decode,,1,4096,9
decode,,64,512,12
decode,,64,4096,21
`;

describe('profile-table step time', () => {
  const model = new ProfileStepTime(parseProfileTable(PROFILE, 'h100.csv'));
  const ms = (b: BatchShape) => model.stepSeconds(b) * 1000;

  it('returns measured points exactly and interpolates linearly / bilinearly between them', () => {
    expect(ms(prefill(1024))).toBeCloseTo(40, 10);
    expect(ms(prefill(2560))).toBeCloseTo(95, 10);
    expect(ms(decode(64, 4096))).toBeCloseTo(21, 10);
    expect(ms(decode(1, 2304))).toBeCloseTo(8.5, 10);
    // centre of the grid cell: mean of the four corners
    expect(ms(decode(32.5, 2304))).toBeCloseTo((8 + 9 + 12 + 21) / 4, 10);
  });

  it('clamps below the table and extrapolates above it along the last slope', () => {
    expect(ms(prefill(16))).toBeCloseTo(12, 10);
    expect(ms(decode(1, 100))).toBeCloseTo(8, 10);
    expect(ms(prefill(7168))).toBeCloseTo(150 + (110 / 3072) * 3072, 10);
    expect(ms(decode(127, 512))).toBeCloseTo(16, 10);
  });

  it('never extrapolates downwards', () => {
    const noisy = new ProfileStepTime(parseProfileTable('phase,tokens,batch,context,ms\nprefill,100,,,10\nprefill,200,,,9\ndecode,,1,0,5\n', 'noisy.csv'));
    expect(noisy.stepSeconds(prefill(1000)) * 1000).toBeCloseTo(9, 10);
    // one-point dimensions hold their value
    expect(noisy.stepSeconds(decode(8, 3000)) * 1000).toBeCloseTo(5, 10);
  });

  it('costs a mixed step as prefill + decode − the cheapest decode step', () => {
    const mixed = { ...prefill(1024), decodeSeqs: 64, decodeContextTokens: 64 * 512 };
    expect(ms(mixed)).toBeCloseTo(40 + 12 - 8, 10);
    expect(ms(EMPTY)).toBe(0);
  });

  it('names the line and column of a bad cell', () => {
    expect(inputError(() => parseProfileTable('phase,tokens,batch,context,ms\nprefill,128,,,abc\n', 'p.csv')).message).toBe('p.csv: line 2, column "ms": "abc" is not a number');
    expect(inputError(() => parseProfileTable('phase,tokens,batch,context,ms\nprefill,,,,3\n', 'p.csv')).message).toBe(
      'p.csv: line 2, column "tokens": empty; expected the prefill tokens of the step (≥ 1)',
    );
    expect(inputError(() => parseProfileTable('phase,tokens,batch,context,ms\nwarmup,1,,,3\n', 'p.csv')).message).toContain('line 2, column "phase": "warmup" is not a phase');
    expect(inputError(() => parseProfileTable('phase,tokens,batch,ms\nprefill,1,,3\n', 'p.csv')).message).toContain('missing column "context"');
    expect(inputError(() => parseProfileTable('phase,tokens,batch,context,ms\nprefill,1,,3\n', 'p.csv')).message).toContain('line 2 has 4 cells, the header has 5');
    expect(inputError(() => parseProfileTable('phase,tokens,batch,context,ms\nprefill,1,,,3\nprefill,1,,,4\ndecode,,1,1,1\n', 'p.csv')).message).toContain('line 3, column "tokens": a second prefill row');
  });

  it('requires both phases and a full decode grid', () => {
    expect(inputError(() => parseProfileTable('phase,tokens,batch,context,ms\ndecode,,1,1,1\n', 'p.csv')).message).toContain('no prefill rows');
    const gap = 'phase,tokens,batch,context,ms\nprefill,1,,,1\ndecode,,1,512,1\ndecode,,8,512,1\ndecode,,1,1024,1\n';
    expect(inputError(() => parseProfileTable(gap, 'p.csv')).message).toContain('no row for batch 8 at context 1024');
  });
});

describe('step-time factory', () => {
  const m = resolveModel('llama-3.1-8b');
  const gpu = resolveGpu('h100-80gb');

  it('defaults to the roofline', () => {
    const spec = zStepTimeSpec.parse(undefined);
    expect(spec).toEqual({ roofline: {} });
    expect(createStepTimeModel(spec, m, gpu, 1, BF16)).toBeInstanceOf(RooflineStepTime);
    const tuned = createStepTimeModel(zStepTimeSpec.parse({ roofline: { hbmEfficiency: 0.5 } }), m, gpu, 1, BF16);
    expect(tuned.stepSeconds(decode(1, 0))).toBeGreaterThan(createStepTimeModel(spec, m, gpu, 1, BF16).stepSeconds(decode(1, 0)));
  });

  it('builds the coefficient and profile models, the profile relative to the scenario folder', () => {
    const coefficients = zStepTimeSpec.parse({ coefficients: { prefill: { a: 1, b: 0, c: 0 }, decode: { a: 2, b: 0, c: 0 } } });
    expect(createStepTimeModel(coefficients, m, gpu, 1, BF16).stepSeconds(decode(4, 100))).toBeCloseTo(0.002, 12);
    const dir = mkdtempSync(join(tmpdir(), 'serving-profile-'));
    writeFileSync(join(dir, 'h100.csv'), PROFILE);
    const profile = createStepTimeModel(zStepTimeSpec.parse({ profile: { file: 'h100.csv' } }), m, gpu, 1, BF16, dir);
    expect(profile.stepSeconds(prefill(1024))).toBeCloseTo(0.04, 12);
  });

  it('rejects unknown kinds and fields', () => {
    expect(zStepTimeSpec.safeParse({ vidur: {} }).success).toBe(false);
    expect(zStepTimeSpec.safeParse({ roofline: { hbmEfficency: 0.5 } }).success).toBe(false);
    expect(zStepTimeSpec.safeParse({ roofline: { hbmEfficiency: 1.5 } }).success).toBe(false);
  });
});
