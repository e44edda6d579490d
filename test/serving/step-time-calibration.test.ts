import { describe, expect, it } from 'vitest';
import { resolveGpu, resolveModel } from '../../sim/serving/catalog/resolve.js';
import { calibrateOnSplitwise } from '../../sim/serving/step-time/calibration.js';
import { RooflineStepTime } from '../../sim/serving/step-time/roofline.js';
import { decodeBatch as decode, prefillBatch as prefill, type BatchShape } from '../../sim/serving/step-time/types.js';
import { sharedData } from '../shared-data.js';

const PERF_MODEL = sharedData('calibration/splitwise/perf_model.csv');

function roofline(model: string, gpu: string, tp: number, weightDtype: 'bf16' | 'fp8' = 'bf16'): RooflineStepTime {
  return new RooflineStepTime(resolveModel(model), resolveGpu(gpu), tp, { weightDtype, kvDtype: 'bf16' });
}
const ms = (m: RooflineStepTime, b: BatchShape) => m.stepSeconds(b) * 1000;

describe('roofline calibration on splitwise perf_model.csv (Llama-2-70B, A100/H100, TP 2/4/8)', () => {
  const report = calibrateOnSplitwise(PERF_MODEL);

  // The per-operator model is fitted on 2024 operator profiles (Vidur) and reads these 2023 whole-step times
  // ~15-25 % fast (docs/accuracy.md: bias negative everywhere); the old single-max roofline had been fitted on
  // this very file (median 8 %). The bounds were 20 % / 25 %; they are now 25 % / 30 %, and the sign is pinned.
  it('reaches median |error| ≤ 25 % for prefill and for decode separately, reading fast (an older software stack)', () => {
    const line = (name: string, s: typeof report.prefill) =>
      `${name}: ${s.rows} rows, median |err| ${(s.medianAbsRelError * 100).toFixed(1)} %, p90 ${(s.p90AbsRelError * 100).toFixed(1)} %`;
    console.log(`${line('prefill', report.prefill)}\n${line('decode', report.decode)}`);
    expect(report.prefill.rows).toBe(630);
    expect(report.decode.rows).toBe(630);
    expect(report.prefill.medianAbsRelError).toBeLessThanOrEqual(0.25);
    expect(report.decode.medianAbsRelError).toBeLessThanOrEqual(0.25);
    const signed = report.rows.map((r) => r.relativeError).sort((a, b) => a - b);
    expect(signed[Math.floor(signed.length / 2)]).toBeLessThan(0);
  });

  it('per GPU, TP and phase, the median error stays under 30 % (no configuration is fitted at the others\' expense)', () => {
    for (const gpu of ['a100-80gb', 'h100-80gb']) {
      for (const tp of [2, 4, 8]) {
        for (const phase of ['prefill', 'decode'] as const) {
          const errs = report.rows.filter((r) => r.gpu === gpu && r.tensorParallel === tp && r.phase === phase).map((r) => Math.abs(r.relativeError)).sort((a, b) => a - b);
          const median = errs[Math.floor(errs.length / 2)];
          console.log(`${gpu} TP${tp} ${phase}: median |err| ${(median * 100).toFixed(1)} %`);
          expect(median, `${gpu} TP${tp} ${phase}`).toBeLessThan(0.3);
        }
      }
    }
  });

  it('fails when the constants are far off (the check can fail)', () => {
    const bad = calibrateOnSplitwise(PERF_MODEL, { hbmEfficiency: 0.25, matmulEfficiency: 0.15 });
    expect(bad.prefill.medianAbsRelError).toBeGreaterThan(0.2);
    expect(bad.decode.medianAbsRelError).toBeGreaterThan(0.2);
  });
});

describe('roofline against the reference\'s other measured points (serving-model.md)', () => {
  it('H200 Llama-3-8B bf16 decode, batch 1: the measured ~1.5-2 ms + (weights + KV)/HBM ≈ 5.1 ms, ±25 %', () => {
    expect(ms(roofline('llama-3-8b', 'h200', 1), decode(1, 512))).toBeGreaterThan(5.1 * 0.75);
    expect(ms(roofline('llama-3-8b', 'h200', 1), decode(1, 512))).toBeLessThan(5.1 * 1.25);
  });

  it('H100 Llama-3-8B decode at batch 10 (LambdaLabs, 10-step scheduling): ≈ 7.2 ms/token, ±30 %', () => {
    const v = ms(roofline('llama-3-8b', 'h100-80gb', 1), decode(10, 1000));
    expect(v).toBeGreaterThan(7.2 * 0.7);
    expect(v).toBeLessThan(7.2 * 1.3);
  });

  // llm-d's reference tables are compiled estimates, not measurements: within a factor 1.5 of their ranges.
  it.each([
    ['llama-3.1-8b', 'h100-80gb', 1, 'bf16', 10, 15],
    ['llama-3.1-70b', 'h100-80gb', 4, 'bf16', 25, 40],
    ['llama-3.1-70b', 'h100-80gb', 8, 'bf16', 18, 28],
    ['llama-3.1-405b', 'h100-80gb', 8, 'fp8', 60, 100],
  ] as const)('llm-d ITL at batch 1: %s on %s TP%i (%s) within [%d/1.5, %d×1.5] ms', (model, gpu, tp, dtype, lo, hi) => {
    const v = ms(roofline(model, gpu, tp, dtype), decode(1, 256));
    console.log(`${model} ${gpu} TP${tp} ${dtype} decode bs1: ${v.toFixed(1)} ms (llm-d ${lo}-${hi})`);
    expect(v).toBeGreaterThan(lo / 1.5);
    expect(v).toBeLessThan(hi * 1.5);
  });

  // Operator profiles without attention, all-reduce or CPU overhead (vidur mlp.csv, §4.3): a full prefill step
  // costs at least 0.9× that, and at most 1.75×. The H100 rows of §4.3 (LLMServingSim's layers.csv, Vidur's H100
  // Llama-2 profiles) are held-out references of issue 13 and are no longer read here.
  it.each([
    ['llama-3-8b', 'a100-80gb', 1, 2048, 142.6],
    ['llama-3-70b', 'a100-80gb', 4, 2048, 345.6],
  ] as const)('prefill of %s on %s TP%i, %i tokens vs %d ms of non-attention compute', (model, gpu, tp, tokens, operatorMs) => {
    const v = ms(roofline(model, gpu, tp), prefill(tokens));
    console.log(`${model} ${gpu} TP${tp} prefill ${tokens}: ${v.toFixed(1)} ms (operators ${operatorMs} ms)`);
    expect(v).toBeGreaterThan(operatorMs * 0.9);
    expect(v).toBeLessThan(operatorMs * 1.75);
  });

  it('decode is flat up to batch ~16 and prefill ~linear in tokens, as in §4.3', () => {
    const m = roofline('llama-2-70b', 'h100-80gb', 4);
    expect(ms(m, decode(16, 576)) / ms(m, decode(1, 576))).toBeLessThan(1.15);
    const ratio = ms(m, prefill(8192)) / ms(m, prefill(2048));
    expect(ratio).toBeGreaterThan(3.5);
    expect(ratio).toBeLessThan(5);
  });
});
