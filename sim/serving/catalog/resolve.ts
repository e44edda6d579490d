import { InputError } from '../../errors.js';
import { GPU_CATALOG, type GpuSpec } from './gpus.js';
import { MODEL_CATALOG, validateArchitecture, type ModelArchitecture } from './models.js';
import { lookupByName } from './names.js';

/** A catalog name (case-insensitive) or an architecture given inline (validated). */
export function resolveModel(spec: string | ModelArchitecture, path?: string): ModelArchitecture {
  if (typeof spec === 'string') return lookupByName(MODEL_CATALOG, spec, 'model', path);
  validateArchitecture(spec, path ?? spec.name);
  return spec;
}

/** A catalog name (case-insensitive) or a GPU given inline (validated). */
export function resolveGpu(spec: string | GpuSpec, path?: string): GpuSpec {
  if (typeof spec === 'string') return lookupByName(GPU_CATALOG, spec, 'GPU', path);
  validateGpu(spec, path ?? spec.name);
  return spec;
}

const POSITIVE_GPU_FIELDS = ['memoryBytes', 'hbmBytesPerSec', 'bf16Flops', 'nvlinkBytesPerSec'] as const;

export function validateGpu(g: GpuSpec, path: string): void {
  for (const field of POSITIVE_GPU_FIELDS) {
    const v = g[field];
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new InputError(`${field} is ${JSON.stringify(v)}; expected a positive number`, path);
  }
  if (!(typeof g.fp8Flops === 'number' && Number.isFinite(g.fp8Flops) && g.fp8Flops >= 0)) {
    throw new InputError(`fp8Flops is ${JSON.stringify(g.fp8Flops)}; expected a number ≥ 0 (0 = no FP8 tensor cores)`, path);
  }
}
