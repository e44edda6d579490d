import { describe, expect, it } from 'vitest';
import { resolveRun } from '../../sim/run/resolve.js';
import { loadScenarioText } from '../../sim/scenario/load.js';
import { resolveGpu, resolveModel } from '../../sim/serving/catalog/resolve.js';
import { estimateServing } from '../../sim/serving/estimate.js';
import {
  activationBytesPerGpu,
  cudaGraphBytesPerGpu,
  cudaGraphCaptureSizes,
  kvCacheCapacity,
  quantisesActivations,
  type ReplicaMemoryConfig,
} from '../../sim/serving/memory.js';
import { vllmMemoryLogLines } from '../../sim/serving/vllm-memory-log.js';

const GiB = 1024 ** 3;

function replica(overrides: Partial<ReplicaMemoryConfig> = {}): ReplicaMemoryConfig {
  return { model: resolveModel('llama-3.1-8b'), gpu: resolveGpu('h100-80gb'), tensorParallel: 1, weightDtype: 'bf16', kvDtype: 'bf16', ...overrides };
}

describe('CUDA-graph capture memory', () => {
  it("captures vLLM's default sizes: 1, 2, 4, every 8 below 256, every 16 up to min(2 × max_num_seqs, 512, batched tokens)", () => {
    const sizes = cudaGraphCaptureSizes(256, 8192);
    expect(sizes.slice(0, 5)).toEqual([1, 2, 4, 8, 16]);
    expect(sizes.at(-1)).toBe(512);
    expect(sizes).toHaveLength(3 + 31 + 17);
    expect(cudaGraphCaptureSizes(16, 8192)).toEqual([1, 2, 4, 8, 16, 24, 32]);
    expect(cudaGraphCaptureSizes(256, 20)).toEqual([1, 2, 4, 8, 16]);
  });

  it('fit: 67 sizes (1, 2, 4, every 8 to 512) of Llama-3.1-8B take 0.52 GiB on one GPU, as vLLM 0.9.2 logged', () => {
    const v092Sizes = [1, 2, 4];
    for (let n = 8; n <= 512; n += 8) v092Sizes.push(n);
    const bytes = cudaGraphBytesPerGpu(resolveModel('llama-3.1-8b'), 1, v092Sizes);
    expect(Math.abs(bytes / GiB / 0.52 - 1)).toBeLessThan(0.02);
    // Fewer sizes, fewer layers or a wider TP take less.
    expect(cudaGraphBytesPerGpu(resolveModel('llama-3.1-8b'), 1, cudaGraphCaptureSizes(256, 8192))).toBeLessThan(bytes);
    expect(cudaGraphBytesPerGpu(resolveModel('llama-3.1-70b'), 8, v092Sizes)).toBeLessThan(cudaGraphBytesPerGpu(resolveModel('llama-3.1-70b'), 4, v092Sizes));
    expect(cudaGraphBytesPerGpu(resolveModel('llama-3.1-8b'), 1, [])).toBe(0);
  });

  it('sit above the KV budget by default (vLLM captures after allocating the cache) and come out of it when asked', () => {
    const above = kvCacheCapacity(replica());
    const eager = kvCacheCapacity(replica({ enforceEager: true }));
    const inside = kvCacheCapacity(replica({ cudaGraphsInKvBudget: true }));
    expect(eager.cudaGraphBytes).toBe(0);
    expect(above.cudaGraphBytes).toBeGreaterThan(0.3 * GiB);
    expect(above.kvCacheBlocks).toBe(eager.kvCacheBlocks);
    expect(above.kvCacheBytes - inside.kvCacheBytes).toBeCloseTo(above.cudaGraphBytes, 0);
    expect(above.headroomBytesPerGpu).toBeCloseTo(80 * GiB * 0.1 - above.cudaGraphBytes, 0);
    expect(inside.headroomBytesPerGpu).toBeCloseTo(80 * GiB * 0.1, 0);
    // At 0.999 the capture has no room left: the headroom goes negative.
    expect(kvCacheCapacity(replica({ gpuMemoryUtilization: 0.999 })).headroomBytesPerGpu).toBeLessThan(0);
  });
});

describe('CUDA graphs in a scenario', () => {
  it('server.cudaGraphsInKvBudget takes the graphs out of the KV cache; roofline cudaGraphs: false captures none', () => {
    const text = (server: string) => `apiVersion: rollout-sim/v1alpha1
kind: Scenario
metadata: { name: graphs }
spec:
  duration: 1m
  cluster: { nodePools: [{ name: h100, gpu: h100-80gb, gpusPerNode: 8, nodes: 1 }] }
  model: llama-3.1-8b
  server: ${server}
  traffic: { arrival: { poisson: { rate: 1/s } }, promptTokens: { constant: 100 }, outputTokens: { constant: 10 } }
`;
    const blocks = (server: string) => {
      const serving = resolveRun(loadScenarioText(text(server))).serving.old;
      if (serving.kind !== 'llm') throw new Error('expected the LLM server');
      return serving.replica.kvBlocks;
    };
    const above = blocks('{}');
    const inside = blocks('{ cudaGraphsInKvBudget: true }');
    const graphs = kvCacheCapacity(replica()).cudaGraphBytes;
    expect(above - inside).toBe(Math.floor(kvCacheCapacity(replica()).kvCacheBytes / (16 * 131072)) - Math.floor((kvCacheCapacity(replica()).kvCacheBytes - graphs) / (16 * 131072)));
    expect(above - inside).toBeGreaterThan(100);
    expect(blocks('{ cudaGraphsInKvBudget: true, stepTime: { roofline: { cudaGraphs: false } } }')).toBe(above);
  });
});

describe('quantised weights in the profile peak', () => {
  it('fp8 weights on FP8 tensor cores quantise each GEMM input (one byte per element); W8A16 and int4 Marlin do not', () => {
    const h100 = resolveGpu('h100-80gb');
    const a100 = resolveGpu('a100-80gb');
    expect(quantisesActivations('fp8', h100)).toBe(true);
    expect(quantisesActivations('fp8', a100)).toBe(false);
    expect(quantisesActivations('int4', h100)).toBe(false);
    const m = resolveModel('llama-3.1-70b');
    const extra = activationBytesPerGpu(m, 4, 8192, 256, true) - activationBytesPerGpu(m, 4, 8192, 256);
    // The widest GEMM input per token: hidden (8,192) for the QKV and gate/up projections beats ffn / TP (7,168).
    expect(extra).toBe(8192 * Math.max(m.hidden, m.ffn / 4));
    expect(m.hidden).toBeGreaterThan(m.ffn / 4);
    const fp8 = (gpu: typeof h100) => kvCacheCapacity({ model: m, gpu, tensorParallel: 4, weightDtype: 'fp8', kvDtype: 'fp8' });
    expect(fp8(h100).activationBytes - fp8(a100).activationBytes).toBeCloseTo(4 * extra, 0);
  });
});

describe('memory as vLLM logs it', () => {
  it('words the figures as vLLM start-up logs do, per worker, in GiB', () => {
    const lines = vllmMemoryLogLines({
      tensorParallel: 2,
      weightBytesPerGpu: 14.9889 * GiB,
      kvCacheBytes: 2 * 53.21 * GiB,
      kvCacheTokens: 435_888,
      kvCacheBlocks: 27_243,
      maxModelLen: 131_072,
      cudaGraphBytesPerGpu: 0.52 * GiB,
      gpuMemoryBytes: 80 * GiB,
      headroomBytesPerGpu: 7.48 * GiB,
    });
    expect(lines).toEqual([
      'Model loading took 14.99 GiB memory',
      'Available KV cache memory: 53.21 GiB',
      'GPU KV cache size: 435,888 tokens',
      'Maximum concurrency for 131,072 tokens per request: 3.33x',
      '# GPU blocks: 27243',
      'Graph capturing finished, took 0.52 GiB',
      'per GPU after start: 72.52 GiB of 80.00 GiB in use, 7.48 GiB free',
    ]);
  });

  it('estimate carries the lines, says when graphs are off and warns when the capture runs out of memory', () => {
    const input = { model: 'llama-3.1-8b', gpu: 'h100-80gb', tp: 1, batch: 1, context: 1024, prompt: 1024 } as const;
    const e = estimateServing(input);
    expect(e.vllmLog[0]).toMatch(/^Model loading took 14\.96 GiB memory$/);
    expect(e.vllmLog).toContain(`# GPU blocks: ${e.kvCacheBlocks}`);
    expect(e.vllmLog).toContain(`Maximum concurrency for 131,072 tokens per request: ${(e.kvCacheTokens / 131_072).toFixed(2)}x`);
    expect(estimateServing({ ...input, enforceEager: true }).vllmLog).toContain('CUDA graphs: none (--enforce-eager)');
    expect(estimateServing({ ...input, gpuMemoryUtilization: 0.999 }).vllmLog.at(-1)).toMatch(/runs out of memory/);
  });
});
