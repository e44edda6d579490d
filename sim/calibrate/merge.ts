import type { CalibrationFileInput } from '../config/calibration-file.js';

/**
 * A new calibration added to an existing file (`calibrate --merge`): a serving entry of the same GPU × model ×
 * TP × dtypes and a start-up phase fitted again replace the old ones; other entries, rollouts, sources and
 * observations are kept. Both as written (loadCalibrationInput), so the result is written as it is.
 */
export function mergeCalibrations(existing: CalibrationFileInput, added: CalibrationFileInput): CalibrationFileInput {
  const key = (e: { gpu: string; model: string; tensorParallel: number; weightDtype: string; kvDtype: string }) =>
    `${e.gpu}|${e.model}|${e.tensorParallel}|${e.weightDtype}|${e.kvDtype}`;
  const replaced = new Set((added.serving ?? []).map(key));
  const addedSources = added.startup?.sources ?? [];
  const newFiles = new Set(addedSources.map((s) => s.file));
  return {
    kind: 'Calibration',
    version: 1,
    serving: [...(existing.serving ?? []).filter((e) => !replaced.has(key(e))), ...(added.serving ?? [])],
    startup: {
      phases: { ...existing.startup?.phases, ...added.startup?.phases },
      rollouts: [...(existing.startup?.rollouts ?? []), ...(added.startup?.rollouts ?? [])],
      sources: [...(existing.startup?.sources ?? []).filter((s) => !newFiles.has(s.file)), ...addedSources],
    },
    observed: [...(existing.observed ?? []), ...(added.observed ?? [])],
  };
}
