import { calibratedPhases, type CalibrationFile } from '../config/calibration-file.js';
import type { StartupScenario } from './schema.js';

/**
 * The scenario's `startup` with every phase it leaves `auto` drawn from the calibration's measured distribution
 * instead (a phase the scenario gives keeps its value). A calibrated phase replaces the `auto` model as a
 * whole: a calibrated weight load no longer depends on the store or on concurrent loads.
 */
export function withCalibratedPhases(startup: StartupScenario, calibration: CalibrationFile): StartupScenario {
  const out = { ...startup };
  for (const [phase, distribution] of Object.entries(calibratedPhases(calibration))) {
    const key = phase as keyof ReturnType<typeof calibratedPhases>;
    if (out[key] === 'auto') (out as Record<string, unknown>)[key] = distribution;
  }
  return out;
}
