import { describe, expect, it } from 'vitest';
import { MODEL_CATALOG, parameterCounts } from '../../sim/serving/catalog/models.js';
import { GPU_CATALOG } from '../../sim/serving/catalog/gpus.js';
import { estimateServing } from '../../sim/serving/estimate.js';
import { estimateMultiNode } from '../../sim/serving/multi-node-estimate.js';
import { RooflineStepTime } from '../../sim/serving/step-time/roofline.js';
import {
  CrossNodeTensorParallelStepTime,
  NODE_NETWORKS,
  PipelineParallelStepTime,
  resolveNetwork,
} from '../../sim/serving/step-time/multi-node.js';
import { decodeBatch, prefillBatch } from '../../sim/serving/step-time/types.js';
import { inputError } from '../helpers/input-error.js';

const L405 = MODEL_CATALOG.get('llama-3.1-405b')!;
const H100 = GPU_CATALOG.get('h100-80gb')!;
const IB = NODE_NETWORKS.get('infiniband-ndr')!;
const BF16 = { weightDtype: 'bf16', kvDtype: 'bf16' } as const;

describe('pipeline parallelism across nodes', () => {
  const pp = new PipelineParallelStepTime(L405, H100, { nodes: 2, gpusPerNode: 8, layout: 'pipeline', network: IB }, BF16);
  const stage = new RooflineStepTime({ ...L405, layers: 63 }, H100, 8, BF16);

  it('charges the fill and drain: (m + p − 1) micro-batch stage times, m = min(p, sequences)', () => {
    expect(pp.bubbleFraction(1)).toBe(0.5);
    expect(pp.bubbleFraction(64)).toBeCloseTo(1 / 3);
    const b = decodeBatch(64, 2048);
    const micro = decodeBatch(32, 2048);
    const hop = IB.sendRecvLatencySec + (32 * L405.hidden * 2) / (IB.bytesPerSecPerGpu * IB.sendRecvEfficiency);
    expect(pp.stepSeconds(b)).toBeCloseTo(stage.overheadSeconds(b) + 3 * stage.gpuSeconds(micro) + hop, 12);
  });

  it('one sequence alone crosses both stages one after the other', () => {
    const one = decodeBatch(1, 2048);
    expect(pp.stepSeconds(one)).toBeGreaterThan(2 * stage.gpuSeconds(one));
    expect(pp.stepSeconds(decodeBatch(0, 0))).toBe(0);
  });
});

describe('tensor parallelism across nodes', () => {
  const tp = (network = IB) => new CrossNodeTensorParallelStepTime(L405, H100, { nodes: 2, gpusPerNode: 8, layout: 'tensor', network }, BF16);

  it('adds the inter-node ring of every all-reduce: latency-bound at decode, bandwidth-bound at prefill', () => {
    const decode = decodeBatch(1, 2048);
    const ib = tp().stepSeconds(decode);
    const eth = tp(resolveNetwork('ethernet-100g', 'network')).stepSeconds(decode);
    // 252 all-reduces × 2 latencies: 15 µs more per hop ⇒ 7.6 ms more a step.
    expect(eth - ib).toBeGreaterThan(252 * 2 * 15e-6);
    const prefill = prefillBatch(4096);
    const ethPrefill = tp(resolveNetwork('ethernet-100g', 'network')).stepSeconds(prefill);
    expect(ethPrefill / tp().stepSeconds(prefill)).toBeGreaterThan(1.5);
  });

  it('rejects an unknown network and a TP the model cannot shard', () => {
    expect(inputError(() => resolveNetwork('myrinet', 'spec.network')).message).toMatch(/infiniband-ndr/);
    expect(() => new CrossNodeTensorParallelStepTime(L405, H100, { nodes: 3, gpusPerNode: 8, layout: 'tensor', network: IB }, BF16)).toThrow(/tensorParallel 24/);
  });
});

describe('catalog: models bigger than a node', () => {
  it('Llama-3.1-405B BF16 needs two 8 × H100 nodes; estimate --nodes 2 says why one is not enough', () => {
    const e = estimateMultiNode({ model: 'llama-3.1-405b', gpu: 'h100-80gb', gpusPerNode: 8, nodes: 2, batch: 64, context: 2048, prompt: 2048 });
    expect(e.oneNode).toMatch(/does not fit/);
    expect(e.memory.weightBytesPerGpu / 2 ** 30).toBeCloseTo(47.2, 0);
    expect(e.layouts.map((l) => l.layout)).toEqual(['pipeline', 'tensor']);
    expect(e.layouts[0].bubbleFraction).toBeCloseTo(1 / 3);
    for (const l of e.layouts) expect(l.decodeTokensPerSec).toBeGreaterThan(300);
  });

  it('DeepSeek-V3 (MoE, FP8): fits one 8 × H200 node, not 8 × H100; MLA stores 576 latent elements a token and layer', () => {
    const ds = MODEL_CATALOG.get('deepseek-v3')!;
    const counts = parameterCounts(ds);
    expect(counts.total / 1e9).toBeGreaterThan(671);
    expect(counts.total / 1e9).toBeLessThan(671 * 1.1);
    expect(counts.active / 1e9).toBeLessThan(60);
    const h200 = estimateServing({ model: 'deepseek-v3', gpu: 'h200', tp: 8, batch: 32, context: 2048, prompt: 2048, weightDtype: 'fp8' });
    expect(h200.kvBytesPerToken).toBe(61 * 576 * 2);
    expect(h200.kvCacheTokens).toBeGreaterThan(100_000);
    expect(inputError(() => estimateServing({ model: 'deepseek-v3', gpu: 'h100-80gb', tp: 8, batch: 1, context: 1, prompt: 1, weightDtype: 'fp8' })).message).toMatch(/does not fit/);
    const twoNodes = estimateMultiNode({ model: 'deepseek-v3', gpu: 'h200', gpusPerNode: 8, nodes: 2, batch: 32, context: 2048, prompt: 2048, weightDtype: 'fp8' });
    expect(twoNodes.oneNode).toBeNull();
  });
});
