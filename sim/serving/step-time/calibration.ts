import { resolveGpu, resolveModel } from '../catalog/resolve.js';
import { columnIndex, readCsvFile, requiredNumberCell } from './csv.js';
import { RooflineStepTime, type RooflineOverrides } from './roofline.js';
import { decodeBatch, prefillBatch } from './types.js';

/** One measured perf_model.csv row against the roofline's prediction. */
export interface CalibrationRow {
  readonly line: number;
  readonly gpu: string;
  readonly tensorParallel: number;
  readonly promptSize: number;
  readonly batchSize: number;
  readonly tokenSize: number;
  readonly phase: 'prefill' | 'decode';
  readonly measuredMs: number;
  readonly predictedMs: number;
  /** predicted / measured − 1. */
  readonly relativeError: number;
}

export interface ErrorSummary {
  readonly rows: number;
  readonly medianAbsRelError: number;
  readonly p90AbsRelError: number;
}

export interface CalibrationReport {
  readonly rows: readonly CalibrationRow[];
  readonly prefill: ErrorSummary;
  readonly decode: ErrorSummary;
}

/** perf_model.csv hardware names → GPU catalog. The power-capped H100 rows are left out. */
const SPLITWISE_GPUS: ReadonlyMap<string, string> = new Map([
  ['a100-80gb', 'a100-80gb'],
  ['h100-80gb', 'h100-80gb'],
]);
const SPLITWISE_MODEL = 'llama2-70b';

/**
 * Replays splitwise-sim's perf_model.csv (Llama-2-70B, bf16; `../shared/data (beside the repository)/calibration/splitwise`) through
 * the roofline. Each row gives two points:
 * - prefill: prompt_time for one step prefilling batch_size prompts of prompt_size tokens;
 * - decode: token_time for one step of batch_size sequences, each at context prompt_size + token_size / 2 (the
 *   mean over the generation).
 * The TP-2 batch-64 prefill rows the source flags as anomalous are kept: the medians barely move.
 */
export function calibrateOnSplitwise(csvFile: string, overrides: RooflineOverrides = {}): CalibrationReport {
  const table = readCsvFile(csvFile);
  const column = (name: string) => columnIndex(table, name);
  const cols = {
    model: column('model'),
    hardware: column('hardware'),
    prompt: column('prompt_size'),
    batch: column('batch_size'),
    tokens: column('token_size'),
    promptTime: column('prompt_time'),
    tokenTime: column('token_time'),
    tp: column('tensor_parallel'),
  };
  const model = resolveModel('llama-2-70b');
  const models = new Map<string, RooflineStepTime>();
  const rows: CalibrationRow[] = [];
  for (const row of table.rows) {
    const gpuName = SPLITWISE_GPUS.get(row.cells[cols.hardware]);
    if (row.cells[cols.model] !== SPLITWISE_MODEL || gpuName === undefined) continue;
    const num = (i: number) => requiredNumberCell(table, row, i);
    const tp = num(cols.tp);
    const key = `${gpuName}/${tp}`;
    let stepTime = models.get(key);
    if (stepTime === undefined) {
      stepTime = new RooflineStepTime(model, resolveGpu(gpuName), tp, { weightDtype: 'bf16', kvDtype: 'bf16' }, overrides);
      models.set(key, stepTime);
    }
    const prompt = num(cols.prompt);
    const batch = num(cols.batch);
    const tokens = num(cols.tokens);
    const base = { line: row.line, gpu: gpuName, tensorParallel: tp, promptSize: prompt, batchSize: batch, tokenSize: tokens };

    rows.push(compare(base, 'prefill', num(cols.promptTime), stepTime.stepSeconds(prefillBatch(prompt, batch))));
    rows.push(compare(base, 'decode', num(cols.tokenTime), stepTime.stepSeconds(decodeBatch(batch, prompt + tokens / 2))));
  }
  return { rows, prefill: summarise(rows.filter((r) => r.phase === 'prefill')), decode: summarise(rows.filter((r) => r.phase === 'decode')) };
}

function compare(base: Omit<CalibrationRow, 'phase' | 'measuredMs' | 'predictedMs' | 'relativeError'>, phase: CalibrationRow['phase'], measuredMs: number, predictedSec: number): CalibrationRow {
  const predictedMs = predictedSec * 1000;
  return { ...base, phase, measuredMs, predictedMs, relativeError: predictedMs / measuredMs - 1 };
}

function summarise(rows: readonly CalibrationRow[]): ErrorSummary {
  const errors = rows.map((r) => Math.abs(r.relativeError)).sort((a, b) => a - b);
  return { rows: errors.length, medianAbsRelError: quantile(errors, 0.5), p90AbsRelError: quantile(errors, 0.9) };
}

/** Linear interpolation between order statistics (type 7, as numpy's default). */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
