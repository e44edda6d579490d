import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../sim/errors.js';
import { resolveRun } from '../../sim/run/resolve.js';
import { loadCatalogFile } from '../../sim/scenario/catalog-file.js';
import { loadScenarioFile, loadScenarioText } from '../../sim/scenario/load.js';
import { withUserCatalog } from '../../sim/serving/catalog/catalog-scope.js';
import { resolveGpu, resolveModel } from '../../sim/serving/catalog/resolve.js';
import { estimateServing } from '../../sim/serving/estimate.js';

const CATALOG = `
gpus:
  - { name: MI300X-Lab, memory: 192GiB, memoryBandwidth: 5.3TB/s, bf16Tflops: 1307, fp8Tflops: 2615, interconnect: { kind: nvlink, bandwidth: 448GB/s } }
models:
  - name: tiny-llama
    num_hidden_layers: 4
    hidden_size: 512
    num_attention_heads: 8
    num_key_value_heads: 2
    intermediate_size: 1376
    vocab_size: 32000
    max_position_embeddings: 4096
`;

function scenario(gpu: string, model: string, catalogLine: string): string {
  return `apiVersion: rollout-sim/v1alpha1
kind: Scenario
metadata: { name: user-catalog }
spec:
  ${catalogLine}
  duration: 2m
  cluster:
    nodePools:
      - { name: lab, gpu: ${gpu}, gpusPerNode: 8, nodes: 1, hostMemory: 1TiB }
  model: { name: ${model}, tensorParallel: 1 }
  deployment: { replicas: 2 }
  traffic:
    arrival: { poisson: { rate: 2/s } }
    promptTokens: { constant: 200 }
    outputTokens: { constant: 20 }
`;
}

function folderWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'user-catalog-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('user catalog file', () => {
  it('adds GPUs (inline GPU fields) and models (config.json fields) by name, case-insensitively, only while in force', () => {
    const dir = folderWith({ 'lab.yaml': CATALOG });
    const catalog = loadCatalogFile(join(dir, 'lab.yaml'), '--catalog');
    withUserCatalog(catalog, () => {
      expect(resolveGpu('mi300x-lab')).toMatchObject({ name: 'MI300X-Lab', memoryBytes: 192 * 1024 ** 3, bf16Flops: 1307e12, interconnect: { kind: 'nvlink', bytesPerSec: 448e9 } });
      expect(resolveModel('Tiny-Llama')).toMatchObject({ name: 'tiny-llama', layers: 4, kvHeads: 2, headDim: 64, tiedEmbeddings: false });
      expect(resolveGpu('h100-80gb').name).toBe('h100-80gb');
      const estimate = estimateServing({ model: 'tiny-llama', gpu: 'mi300x-lab', tp: 1, batch: 1, context: 128, prompt: 128, weightDtype: 'bf16', kvDtype: 'bf16' });
      expect(estimate.kvBytesPerToken).toBe(4 * 2 * 2 * 64 * 2);
    });
    expect(inputError(() => resolveGpu('mi300x-lab')).message).toContain('unknown GPU');
  });

  it('spec.catalog (relative to the scenario) serves nodePools[].gpu and model.name through validation and resolveRun', () => {
    const dir = folderWith({ 'lab.yaml': CATALOG, 'scenario.yaml': scenario('mi300x-lab', 'tiny-llama', 'catalog: lab.yaml') });
    const loaded = loadScenarioFile(join(dir, 'scenario.yaml'));
    expect(loaded.scenario.spec.model.architecture?.name).toBe('tiny-llama');
    const run = resolveRun(loaded);
    expect(run.serving.old.gpu.name).toBe('MI300X-Lab');
    expect(run.cluster.nodePools[0].gpu).toBe('MI300X-Lab');
    // Without the catalog the same names are unknown.
    expect(() => loadScenarioText(scenario('h100-80gb', 'tiny-llama', 'seed: 1'), { baseDir: dir })).toThrow(/unknown model "tiny-llama"/);
    // --catalog of `run` is an override of spec.catalog.
    const viaOverride = loadScenarioText(scenario('mi300x-lab', 'tiny-llama', 'seed: 1'), { baseDir: dir, overrides: [`spec.catalog=${JSON.stringify(join(dir, 'lab.yaml'))}`] });
    expect(resolveRun(viaOverride).serving.old.gpu.memoryBytes).toBe(192 * 1024 ** 3);
  });

  it('a bad spec.catalog is an error at spec.catalog', () => {
    const dir = folderWith({ 'clash.yaml': 'models: []\ngpus:\n  - { name: a100-80GB, memory: 80GiB, memoryBandwidth: 2TB/s, bf16Tflops: 312 }\n' });
    expect(inputError(() => loadScenarioText(scenario('h100-80gb', 'llama-3.1-8b', 'catalog: 5'), { baseDir: dir })).message).toMatch(/^spec\.catalog: is 5; expected the path of a catalog file/);
    expect(inputError(() => loadScenarioText(scenario('h100-80gb', 'llama-3.1-8b', 'catalog: none.yaml'), { baseDir: dir })).message).toMatch(/^spec\.catalog: no such catalog file/);
    expect(inputError(() => loadScenarioText(scenario('h100-80gb', 'llama-3.1-8b', 'catalog: clash.yaml'), { baseDir: dir })).message).toMatch(/^spec\.catalog: .*GPU "a100-80GB" clashes with the built-in GPU "a100-80gb"/);
  });

  it('a clash with a built-in name is an error naming both', () => {
    const dir = folderWith({ 'clash.yaml': 'gpus:\n  - { name: H100-80GB, memory: 80GiB, memoryBandwidth: 3TB/s, bf16Tflops: 900 }\n' });
    const error = inputError(() => loadCatalogFile(join(dir, 'clash.yaml'), 'spec.catalog'));
    expect(error.message).toMatch(/^spec\.catalog: .*clash\.yaml: gpus\[0\]\.name: GPU "H100-80GB" clashes with the built-in GPU "h100-80gb"/);
    const model = folderWith({ 'm.yaml': 'models:\n  - { name: llama-3.1-8b, num_hidden_layers: 1, hidden_size: 8, num_attention_heads: 1, intermediate_size: 8, vocab_size: 8, max_position_embeddings: 8 }\n' });
    expect(inputError(() => loadCatalogFile(join(model, 'm.yaml'), 'x')).message).toContain('model "llama-3.1-8b" clashes with the built-in model "llama-3.1-8b"');
  });

  it('unknown fields, bad values and duplicates are errors naming the file, the entry and the field', () => {
    const dir = folderWith({
      'typo.yaml': 'gpus:\n  - { name: card, memory: 32GiB, memoryBandwidth: 1TB/s, bf16Tflops: 200, fp8Tflop: 400 }\n',
      'model.yaml': 'models:\n  - { name: m, num_hidden_layer: 2, hidden_size: 8, num_attention_heads: 1, intermediate_size: 8, vocab_size: 8, max_position_embeddings: 8 }\n',
      'top.yaml': 'gpu: []\n',
      'heads.yaml': 'models:\n  - { name: m, num_hidden_layers: 2, hidden_size: 64, num_attention_heads: 8, num_key_value_heads: 3, intermediate_size: 8, vocab_size: 8, max_position_embeddings: 8 }\n',
      'twice.yaml': 'gpus:\n  - { name: card, memory: 32GiB, memoryBandwidth: 1TB/s, bf16Tflops: 200 }\n  - { name: Card, memory: 32GiB, memoryBandwidth: 1TB/s, bf16Tflops: 200 }\n',
    });
    const message = (file: string) => inputError(() => loadCatalogFile(join(dir, file), '--catalog')).message;
    expect(message('typo.yaml')).toMatch(/gpus\[0\]: unknown field "fp8Tflop"/);
    expect(message('model.yaml')).toMatch(/models\[0\]: unknown field "num_hidden_layer"/);
    expect(message('top.yaml')).toMatch(/unknown field "gpu"/);
    expect(message('heads.yaml')).toMatch(/models\[0\]: heads \(8\) is not a multiple of kvHeads \(3\)/);
    expect(message('twice.yaml')).toMatch(/gpus\[1\]\.name: GPU "Card" is named twice/);
    expect(message('missing.yaml')).toMatch(/^--catalog: no such catalog file/);
  });
});
