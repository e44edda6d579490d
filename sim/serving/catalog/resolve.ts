import { InputError } from '../../errors.js';
import { gpuCatalog, modelCatalog } from './catalog-scope.js';
import { INTERCONNECT_KINDS, type GpuSpec } from './gpus.js';
import { validateArchitecture, type ModelArchitecture } from './models.js';
import { lookupByName } from './names.js';

/** A name of the catalog in force (built-in plus a user catalog; case-insensitive) or an architecture given inline (validated). */
export function resolveModel(spec: string | ModelArchitecture, path?: string): ModelArchitecture {
  if (typeof spec === 'string') return lookupByName(modelCatalog(), spec, 'model', path);
  validateArchitecture(spec, path ?? spec.name);
  return spec;
}

/** A name of the catalog in force (built-in plus a user catalog; case-insensitive) or a GPU given inline (validated). */
export function resolveGpu(spec: string | GpuSpec, path?: string): GpuSpec {
  if (typeof spec === 'string') return lookupByName(gpuCatalog(), spec, 'GPU', path);
  validateGpu(spec, path ?? spec.name);
  return spec;
}

const POSITIVE_GPU_FIELDS = ['memoryBytes', 'hbmBytesPerSec', 'bf16Flops'] as const;

export function validateGpu(g: GpuSpec, path: string): void {
  const positive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
  for (const field of POSITIVE_GPU_FIELDS) {
    if (!positive(g[field])) throw new InputError(`${field} is ${JSON.stringify(g[field])}; expected a positive number`, path);
  }
  if (!(typeof g.fp8Flops === 'number' && Number.isFinite(g.fp8Flops) && g.fp8Flops >= 0)) {
    throw new InputError(`fp8Flops is ${JSON.stringify(g.fp8Flops)}; expected a number ≥ 0 (0 = no FP8 tensor cores)`, path);
  }
  if (!INTERCONNECT_KINDS.includes(g.interconnect?.kind) || !positive(g.interconnect.bytesPerSec)) {
    throw new InputError(`interconnect is ${JSON.stringify(g.interconnect)}; expected { kind: ${INTERCONNECT_KINDS.join(' | ')}, bytesPerSec: a positive number }`, path);
  }
  for (const field of ['matmul', 'hbm'] as const) {
    const v = g.efficiency?.[field];
    if (!(positive(v) && (v as number) <= 1)) throw new InputError(`efficiency.${field} is ${JSON.stringify(v)}; expected a fraction in (0, 1]`, path);
  }
}
