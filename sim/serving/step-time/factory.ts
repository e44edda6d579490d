import { resolve } from 'node:path';
import { z } from 'zod';
import type { ServingDtypes } from '../catalog/dtypes.js';
import type { GpuSpec } from '../catalog/gpus.js';
import type { ModelArchitecture } from '../catalog/models.js';
import { CoefficientStepTime, zCoefficientParams } from './coefficients.js';
import { loadProfileTable, ProfileStepTime } from './profile-table.js';
import { RooflineStepTime, zRooflineParams } from './roofline.js';
import type { StepTimeModel } from './types.js';

/**
 * The scenario's step-time model: `{ roofline: { ...overrides } }` (the default; any model × GPU × TP),
 * `{ coefficients: { prefill, decode, decodeLargeBatch? } }` (DistServe closed form, ms), or
 * `{ profile: { file } }` (a measured table, relative to the scenario file).
 */
export const zStepTimeSpec = z
  .union([
    z.strictObject({ roofline: zRooflineParams.prefault({}) }),
    z.strictObject({ coefficients: zCoefficientParams }),
    z.strictObject({ profile: z.strictObject({ file: z.string().min(1).meta({ description: 'CSV: phase,tokens,batch,context,ms' }) }) }),
  ])
  .default({ roofline: {} })
  .meta({ description: 'how long one engine step takes: roofline (default), coefficients, or a measured profile' });
export type StepTimeSpec = z.output<typeof zStepTimeSpec>;

/** Builds the model once per replica configuration; `baseDir` resolves a profile's relative path. */
export function createStepTimeModel(
  spec: StepTimeSpec,
  model: ModelArchitecture,
  gpu: GpuSpec,
  tensorParallel: number,
  dtypes: ServingDtypes,
  baseDir = '.',
): StepTimeModel {
  if ('coefficients' in spec) return new CoefficientStepTime(spec.coefficients);
  if ('profile' in spec) return new ProfileStepTime(loadProfileTable(resolve(baseDir, spec.profile.file)));
  return new RooflineStepTime(model, gpu, tensorParallel, dtypes, spec.roofline);
}
