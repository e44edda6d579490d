import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EFFICIENCY, GPU_CATALOG } from '../../sim/serving/catalog/gpus.js';
import { architectureFromHfConfig, loadModelConfig } from '../../sim/serving/catalog/model-config.js';
import { MODEL_CATALOG, parameterCounts, validateTensorParallel } from '../../sim/serving/catalog/models.js';
import { resolveGpu, resolveModel } from '../../sim/serving/catalog/resolve.js';
import { resolveModelSpec, zGpuSpec, zModelSpec } from '../../sim/serving/catalog/schema.js';
import { sharedData } from '../shared-data.js';
import { inputError } from '../helpers/input-error.js';

const MODELS_DIR = sharedData('models');
const tmp = mkdtempSync(join(tmpdir(), 'serving-catalog-'));
const TINY_CONFIG = { num_hidden_layers: 2, hidden_size: 64, num_attention_heads: 4, intermediate_size: 128, vocab_size: 100, max_position_embeddings: 512 };

function writeJson(name: string, value: unknown): string {
  const file = join(tmp, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

describe('model catalog', () => {
  // serving-model.md §4.1 "params (derived)", to the table's last digit (± half of it).
  it.each([
    ['llama-2-7b', 6.74, 6.74, 0.005],
    ['llama-2-70b', 68.98, 68.98, 0.005],
    ['llama-3.1-8b', 8.03, 8.03, 0.005],
    ['llama-3.1-70b', 70.55, 70.55, 0.005],
    ['llama-3.1-405b', 405.85, 405.85, 0.005],
    ['llama-3.1-405b-kv16', 410.1, 410.1, 0.05],
    ['mixtral-8x7b', 46.7, 12.88, 0.005],
    ['qwen2.5-7b', 7.62, 7.62, 0.005],
    ['qwen2.5-72b', 72.71, 72.71, 0.005],
  ])('%s has %d B parameters, %d B active (§4.1)', (name, total, active, halfDigit) => {
    const p = parameterCounts(resolveModel(name));
    expect(Math.abs(p.total / 1e9 - total)).toBeLessThanOrEqual(halfDigit);
    expect(Math.abs(p.active / 1e9 - active)).toBeLessThanOrEqual(halfDigit);
  });

  it.each([
    ['llama-3.1-8b', 'llama-3.1-8b-instruct.config.json'],
    ['llama-3.1-70b', 'llama-3.1-70b-instruct.config.json'],
    ['mixtral-8x7b', 'mixtral-8x7b-v0.1.config.json'],
    ['qwen2.5-7b', 'qwen2.5-7b-instruct.config.json'],
    ['llama-2-7b', 'llama-2-7b-hf.config.json'],
  ])('catalog %s equals its staged Hugging Face config (%s)', (name, file) => {
    const fromConfig = loadModelConfig(join(MODELS_DIR, file), name);
    expect(fromConfig).toEqual(MODEL_CATALOG.get(name));
  });

  it('names an imported config after its file, or its folder for config.json', () => {
    expect(loadModelConfig(join(MODELS_DIR, 'llama-2-7b-hf.config.json')).name).toBe('llama-2-7b-hf');
    mkdirSync(join(tmp, 'My-Model'));
    const file = writeJson('My-Model/config.json', TINY_CONFIG);
    expect(loadModelConfig(file).name).toBe('My-Model');
  });

  it('applies transformers defaults: kv heads = heads, head_dim = hidden/heads; reads text_config', () => {
    const a = architectureFromHfConfig(
      { text_config: { ...TINY_CONFIG, model_type: 'qwen2' } },
      'x.json',
      'tiny',
    );
    expect(a).toMatchObject({ kvHeads: 4, headDim: 16, experts: 1, expertsPerToken: 1, qkvBias: true, tiedEmbeddings: false });
  });

  it('rejects a config.json with a missing field, naming the field and the file', () => {
    const { num_hidden_layers: _, ...withoutLayers } = TINY_CONFIG;
    const file = writeJson('no-layers.json', withoutLayers);
    const e = inputError(() => loadModelConfig(file));
    expect(e.message).toContain(file);
    expect(e.message).toContain('missing "num_hidden_layers"');
  });

  it('rejects non-integers, bad JSON, unreadable files and shared-expert MoE', () => {
    expect(inputError(() => architectureFromHfConfig({ ...TINY_CONFIG, num_hidden_layers: 2.5 }, 'c.json', 'x')).message).toContain('"num_hidden_layers" is 2.5');
    writeFileSync(join(tmp, 'bad.json'), '{ nope');
    expect(inputError(() => loadModelConfig(join(tmp, 'bad.json'))).message).toContain('not valid JSON');
    expect(inputError(() => loadModelConfig(join(tmp, 'absent.json'))).message).toContain('no such model config.json');
    expect(inputError(() => architectureFromHfConfig({ moe_intermediate_size: 1408 }, 'c.json', 'x')).message).toContain('moe_intermediate_size');
  });

  it('resolves names case-insensitively and suggests the closest name for a typo', () => {
    expect(resolveModel('Llama-3.1-70B').name).toBe('llama-3.1-70b');
    const e = inputError(() => resolveModel('mixtral', 'spec.model.name'));
    expect(e.message).toMatch(/^spec\.model\.name: unknown model "mixtral"; did you mean "mixtral-8x7b"\? Known: llama-3\.1-8b, /);
    expect(inputError(() => resolveModel('qwen-72b')).message).toContain('did you mean "qwen2.5-72b"');
  });

  it('checks inline architectures', () => {
    const bad = { ...resolveModel('llama-3.1-8b'), name: 'odd', kvHeads: 5 };
    expect(inputError(() => resolveModel(bad)).message).toContain('not a multiple of kvHeads (5)');
    expect(inputError(() => resolveModel({ ...bad, kvHeads: 8, layers: 0 })).message).toContain('layers is 0');
  });

  it('enforces vLLM sharding: heads divide, KV heads divide or are replicated', () => {
    const m70 = resolveModel('llama-3.1-70b');
    expect(() => validateTensorParallel(m70, 16, 'tp')).not.toThrow(); // 8 KV heads, each on 2 ranks
    expect(inputError(() => validateTensorParallel(m70, 3, 'tp')).message).toContain('the largest smaller choice is 2');
    expect(inputError(() => validateTensorParallel(resolveModel('qwen2.5-7b'), 7, 'tp')).message).toContain('4 KV heads');
  });
});

describe('GPU catalog', () => {
  it('holds the required GPUs with dense peaks', () => {
    for (const name of ['a100-40gb', 'a100-80gb', 'h100-80gb', 'h200', 'b200', 'l40s', 'l4']) expect(GPU_CATALOG.has(name), name).toBe(true);
    expect(resolveGpu('H100-80GB')).toMatchObject({ bf16Flops: 989.5e12, fp8Flops: 1979e12, hbmBytesPerSec: 3.35e12, memoryBytes: 80 * 1024 ** 3 });
    expect(resolveGpu('a100-80gb').fp8Flops).toBe(0);
    expect(resolveGpu('l40s').fp8Flops).toBe(733e12); // not hardware_config.json's sparse 1466
    expect(inputError(() => resolveGpu('h100')).message).toContain('did you mean "h100-80gb"');
  });
});

describe('scenario schemas', () => {
  it('zModelSpec: a catalog name means TP 1, bf16 weights and KV', () => {
    const spec = zModelSpec.parse('llama-3.1-8b');
    expect(spec).toMatchObject({ name: 'llama-3.1-8b', tensorParallel: 1, weightDtype: 'bf16', kvDtype: 'bf16' });
    expect(spec.architecture?.layers).toBe(32);
  });

  it('zModelSpec: the scenario object form', () => {
    const spec = zModelSpec.parse({ name: 'llama-3.1-70b', tensorParallel: 4, kvDtype: 'fp8' });
    expect(spec).toMatchObject({ tensorParallel: 4, weightDtype: 'bf16', kvDtype: 'fp8' });
    const served = resolveModelSpec(spec, tmp);
    expect(served.architecture.name).toBe('llama-3.1-70b');
  });

  it('zModelSpec: issues point at the field', () => {
    const unknown = zModelSpec.safeParse({ name: 'llama-3.1-7b', tensorParallel: 4 });
    expect(unknown.success).toBe(false);
    expect(unknown.error?.issues[0].path).toEqual(['name']);
    expect(unknown.error?.issues[0].message).toContain('did you mean');
    const tp = zModelSpec.safeParse({ name: 'llama-3.1-70b', tensorParallel: 3 });
    expect(tp.error?.issues[0].path).toEqual(['tensorParallel']);
    const both = zModelSpec.safeParse({ name: 'x', configJson: 'c.json', architecture: { layers: 1, hidden: 8, heads: 1, ffn: 8, vocab: 8, maxContext: 8 } });
    expect(both.error?.issues[0].message).toContain('either architecture or configJson');
    const bare = zModelSpec.safeParse({ architecture: { layers: 1, hidden: 8, heads: 1, ffn: 8, vocab: 8, maxContext: 8 } });
    expect(bare.error?.issues[0].path).toEqual(['architecture', 'name']);
    expect(zModelSpec.safeParse({ name: 'llama-3.1-8b', weightDtype: 'fp4' }).success).toBe(false);
  });

  it('zModelSpec: inline architecture (MoE needs expertsPerToken) and configJson relative to the scenario', () => {
    const moe = { name: 'tiny-moe', architecture: { layers: 2, hidden: 64, heads: 4, ffn: 128, vocab: 100, maxContext: 512, experts: 4 } };
    expect(zModelSpec.safeParse(moe).error?.issues[0].path).toEqual(['architecture', 'expertsPerToken']);
    const ok = zModelSpec.parse({ ...moe, architecture: { ...moe.architecture, expertsPerToken: 2 } });
    expect(ok.architecture).toMatchObject({ name: 'tiny-moe', kvHeads: 4, headDim: 16, experts: 4, expertsPerToken: 2 });

    const fromFile = zModelSpec.parse({ name: 'llama-2-7b-copy', configJson: 'llama-2-7b-hf.config.json', tensorParallel: 2 });
    expect(fromFile.architecture).toBeUndefined();
    const served = resolveModelSpec(fromFile, MODELS_DIR);
    expect(served.architecture).toMatchObject({ name: 'llama-2-7b-copy', kvHeads: 32, vocab: 32000 });
    expect(inputError(() => resolveModelSpec({ ...fromFile, tensorParallel: 3 }, MODELS_DIR, 'spec.model')).message).toMatch(/^spec\.model\.tensorParallel: /);
  });

  it('zGpuSpec: a name, or an inline GPU with units, interconnect and efficiencies (defaults: PCIe Gen4, DEFAULT_EFFICIENCY)', () => {
    expect(zGpuSpec.parse('b200').bf16Flops).toBe(2250e12);
    const inline = zGpuSpec.parse({ name: 'mi300x', memory: '192GiB', memoryBandwidth: '5.3TB/s', bf16Tflops: 1307, fp8Tflops: 2615, interconnect: { kind: 'nvlink', bandwidth: '448GB/s' }, efficiency: { matmul: 0.5, hbm: 0.7 } });
    expect(inline).toEqual({ name: 'mi300x', memoryBytes: 192 * 1024 ** 3, hbmBytesPerSec: 5.3e12, bf16Flops: 1307e12, fp8Flops: 2615e12, interconnect: { kind: 'nvlink', bytesPerSec: 448e9 }, efficiency: { matmul: 0.5, hbm: 0.7 } });
    const minimal = zGpuSpec.parse({ name: 'card', memory: '32GiB', memoryBandwidth: '1.8TB/s', bf16Tflops: 200 });
    expect(minimal).toMatchObject({ fp8Flops: 0, interconnect: { kind: 'pcie', bytesPerSec: 32e9 }, efficiency: DEFAULT_EFFICIENCY });
    const bad = zGpuSpec.safeParse('h100');
    expect(bad.success).toBe(false);
    expect(zGpuSpec.safeParse({ name: 'x', memory: '8GiB', memoryBandwidth: '1TB/s', bf16Tflops: -1 }).success).toBe(false);
    expect(zGpuSpec.safeParse({ name: 'x', memory: '8GiB', memoryBandwidth: '1TB/s', bf16Tflops: 1, efficiency: { matmul: 1.5, hbm: 0.5 } }).success).toBe(false);
    expect(zGpuSpec.safeParse({ name: 'x', memory: '8GiB', memoryBandwidth: '1TB/s', bf16Tflops: 1, interconnect: { kind: 'infiniband', bandwidth: '1GB/s' } }).success).toBe(false);
  });

  it('has the workstation and consumer cards, each with its own link and efficiencies', () => {
    for (const name of ['rtx-4090', 'rtx-6000-ada', 'rtx-pro-6000-blackwell', 'l40s', 'a10g', 'a40']) {
      const gpu = GPU_CATALOG.get(name);
      expect(gpu, name).toBeDefined();
      expect(gpu?.efficiency.hbm).toBeGreaterThan(0);
    }
    expect(GPU_CATALOG.get('rtx-4090')).toMatchObject({ memoryBytes: 24 * 1024 ** 3, hbmBytesPerSec: 1008e9, interconnect: { kind: 'pcie' } });
    expect(GPU_CATALOG.get('a40')?.interconnect.kind).toBe('nvlink');
  });
});
