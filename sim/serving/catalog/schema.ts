import { resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../../errors.js';
import { zBandwidth, zBytes } from '../../config/zod-units.js';
import { KV_DTYPES, WEIGHT_DTYPES, type KvDtype, type WeightDtype } from './dtypes.js';
import { DEFAULT_EFFICIENCY, INTERCONNECT_KINDS, type GpuSpec } from './gpus.js';
import { loadModelConfig } from './model-config.js';
import { validateArchitecture, validateTensorParallel, type ModelArchitecture } from './models.js';
import { resolveGpu, resolveModel } from './resolve.js';

/**
 * Runs a catalog/validation function inside a zod transform: its InputError becomes an issue at the error's
 * path (a field of the spec), worded by its detail.
 */
function asIssue<T>(ctx: z.core.$RefinementCtx, input: unknown, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    ctx.issues.push({ code: 'custom', message: error.detail, input, path: error.path === undefined ? [] : error.path.split('.') });
    return z.NEVER;
  }
}

const positiveInt = z.int().min(1);

/** An architecture written in the scenario; the optional fields default as transformers does for config.json. */
export const zModelArchitecture = z
  .strictObject({
    name: z.string().min(1).optional(),
    layers: positiveInt,
    hidden: positiveInt,
    heads: positiveInt,
    kvHeads: positiveInt.optional().meta({ description: 'KV heads; default = heads (multi-head attention)' }),
    headDim: positiveInt.optional().meta({ description: 'default = hidden / heads' }),
    ffn: positiveInt.meta({ description: 'MLP intermediate size (per expert for MoE)' }),
    vocab: positiveInt,
    experts: positiveInt.default(1).meta({ description: 'MLP experts per layer; 1 = dense' }),
    expertsPerToken: positiveInt.optional().meta({ description: 'required when experts > 1' }),
    tiedEmbeddings: z.boolean().default(false),
    qkvBias: z.boolean().default(false),
    maxContext: positiveInt.meta({ description: 'max_position_embeddings' }),
  })
  .meta({ description: 'a decoder-only transformer (SwiGLU MLP, Llama layout) given field by field' });

/** A model written as a catalog name, and what an object leaves out: one GPU, 16-bit weights and KV cache. */
const MODEL_DEFAULTS = { tensorParallel: 1, weightDtype: 'bf16', kvDtype: 'bf16' } as const;

const zModelSpecObject = z.strictObject({
  name: z.string().min(1).optional(),
  tensorParallel: positiveInt.default(MODEL_DEFAULTS.tensorParallel),
  weightDtype: z.enum(WEIGHT_DTYPES).default(MODEL_DEFAULTS.weightDtype),
  kvDtype: z.enum(KV_DTYPES).default(MODEL_DEFAULTS.kvDtype),
  architecture: zModelArchitecture.optional(),
  configJson: z.string().min(1).optional().meta({ description: 'a Hugging Face config.json, relative to the scenario file' }),
});

/**
 * The scenario's `model`: a catalog name (bf16, TP 1), or an object. In the object, `name` is a catalog name
 * unless `architecture` or `configJson` (a Hugging Face config.json, relative to the scenario file) describes
 * the model, in which case it only labels it. tensorParallel defaults to 1, both dtypes to bf16.
 */
export const zModelSpec = z
  .union([z.string().min(1), zModelSpecObject])
  .meta({ description: 'a catalog model name, or { name, tensorParallel, weightDtype, kvDtype, architecture | configJson }' })
  .transform((input, ctx): ModelSpec => {
    if (typeof input !== 'string') return asIssue(ctx, input, () => modelSpecFromObject(input));
    return asIssue(ctx, input, () => {
      const architecture = resolveModel(input);
      return { name: architecture.name, ...MODEL_DEFAULTS, architecture };
    });
  });

/** Errors carry the field as their path (no prefix: the zod issue path says where the spec is). */
function modelSpecFromObject(spec: z.output<typeof zModelSpecObject>): ModelSpec {
  const { name, tensorParallel, weightDtype, kvDtype, architecture, configJson } = spec;
  if (architecture !== undefined && configJson !== undefined) throw new InputError('give either architecture or configJson, not both', 'configJson');
  if (configJson !== undefined) return { name, tensorParallel, weightDtype, kvDtype, configJson };
  let resolved: ModelArchitecture;
  if (architecture !== undefined) {
    resolved = inlineArchitecture(architecture, name);
    validateArchitecture(resolved, 'architecture');
  } else if (name !== undefined) {
    resolved = resolveModel(name, 'name');
  } else {
    throw new InputError('missing model: give name (a catalog model), architecture, or configJson');
  }
  validateTensorParallel(resolved, tensorParallel, 'tensorParallel');
  return { name: resolved.name, tensorParallel, weightDtype, kvDtype, architecture: resolved };
}

/**
 * zModelSpec's output: the architecture, already checked with its tensorParallel, or a Hugging Face config.json
 * read (and checked) at resolve time, since only then is the scenario's folder known.
 */
export type ModelSpec = {
  readonly name?: string;
  readonly tensorParallel: number;
  readonly weightDtype: WeightDtype;
  readonly kvDtype: KvDtype;
} & ({ readonly architecture: ModelArchitecture; readonly configJson?: undefined } | { readonly architecture?: undefined; readonly configJson: string });

/** What a replica serves: the architecture, how it is sharded, and its storage formats. */
export interface ServingModel {
  readonly architecture: ModelArchitecture;
  readonly tensorParallel: number;
  readonly weightDtype: WeightDtype;
  readonly kvDtype: KvDtype;
}

/**
 * The model a replica serves. The schema checked the sharding of every architecture it knew; one from a
 * configJson (relative to `baseDir`, the scenario's folder) is read and checked here, at `path`.
 */
export function resolveModelSpec(spec: ModelSpec, baseDir: string, path = 'model'): ServingModel {
  const { tensorParallel, weightDtype, kvDtype } = spec;
  if (spec.architecture !== undefined) return { architecture: spec.architecture, tensorParallel, weightDtype, kvDtype };
  const architecture = loadModelConfig(resolve(baseDir, spec.configJson), spec.name);
  validateTensorParallel(architecture, tensorParallel, `${path}.tensorParallel`);
  return { architecture, tensorParallel, weightDtype, kvDtype };
}

function inlineArchitecture(a: z.output<typeof zModelArchitecture>, specName: string | undefined): ModelArchitecture {
  const name = a.name ?? specName;
  if (name === undefined) throw new InputError('missing: give the model a name (here or as the spec\'s name), for reports', 'architecture.name');
  if (a.experts > 1 && a.expertsPerToken === undefined) throw new InputError(`missing; required when experts (${a.experts}) > 1`, 'architecture.expertsPerToken');
  return {
    name,
    layers: a.layers,
    hidden: a.hidden,
    heads: a.heads,
    kvHeads: a.kvHeads ?? a.heads,
    headDim: a.headDim ?? Math.floor(a.hidden / a.heads),
    ffn: a.ffn,
    vocab: a.vocab,
    experts: a.experts,
    expertsPerToken: a.expertsPerToken ?? 1,
    tiedEmbeddings: a.tiedEmbeddings,
    qkvBias: a.qkvBias,
    maxContext: a.maxContext,
  };
}

const zEfficiencyFraction = z.number().gt(0).max(1);

/**
 * A GPU written in the scenario (nodePools[].gpu): datasheet figures with units; `interconnect` defaults to a
 * PCIe Gen4 x16 link and `efficiency` to DEFAULT_EFFICIENCY (gpus.ts).
 */
export const zInlineGpu = z
  .strictObject({
    name: z.string().min(1),
    memory: zBytes.meta({ description: 'device memory, e.g. 48GiB' }),
    memoryBandwidth: zBandwidth.meta({ description: 'peak memory bandwidth, e.g. 864GB/s' }),
    bf16Tflops: z.number().positive().meta({ description: 'dense BF16 tensor-core TFLOPS (FP32 accumulate)' }),
    fp8Tflops: z.number().min(0).default(0).meta({ description: 'dense FP8 TFLOPS; 0 = no FP8 tensor cores' }),
    interconnect: z
      .strictObject({ kind: z.enum(INTERCONNECT_KINDS), bandwidth: zBandwidth.meta({ description: 'per direction per GPU' }) })
      .optional()
      .meta({ description: 'GPU-to-GPU link; default { kind: pcie, bandwidth: 32GB/s } (PCIe Gen4 x16)' }),
    efficiency: z
      .strictObject({ matmul: zEfficiencyFraction, hbm: zEfficiencyFraction })
      .optional()
      .meta({ description: `achieved fractions of peak; default matmul ${DEFAULT_EFFICIENCY.matmul}, hbm ${DEFAULT_EFFICIENCY.hbm}` }),
  })
  .transform(
    (g): GpuSpec => ({
      name: g.name,
      memoryBytes: g.memory,
      hbmBytesPerSec: g.memoryBandwidth,
      bf16Flops: g.bf16Tflops * 1e12,
      fp8Flops: g.fp8Tflops * 1e12,
      interconnect: g.interconnect === undefined ? DEFAULT_INTERCONNECT : { kind: g.interconnect.kind, bytesPerSec: g.interconnect.bandwidth },
      efficiency: g.efficiency ?? DEFAULT_EFFICIENCY,
    }),
  );

const DEFAULT_INTERCONNECT = { kind: 'pcie', bytesPerSec: 32e9 } as const;

/** The scenario's GPU: a catalog name, or a GPU given inline (zInlineGpu). */
export const zGpuSpec = z
  .union([z.string().min(1), zInlineGpu])
  .meta({ description: 'a catalog GPU name, or { name, memory, memoryBandwidth, bf16Tflops, fp8Tflops?, interconnect?, efficiency? }' })
  // An inline GPU is fully checked by its schema.
  .transform((input, ctx): GpuSpec => (typeof input === 'string' ? asIssue(ctx, input, () => resolveGpu(input)) : input));
