import { InputError } from '../../errors.js';
import { columnIndex, numberCell, parseCsv, readCsvFile, type CsvTable } from './csv.js';
import type { BatchShape, StepTimeModel } from './types.js';

/**
 * Measured step times of one model × GPU × TP, e.g. from vLLM's benchmark_latency or the engine's step log:
 *
 *   phase,tokens,batch,context,ms
 *   prefill,512,,,41.0          one prefill step of `tokens` new prompt tokens
 *   decode,,1,1024,7.9          one decode step of `batch` sequences with `context` tokens each (mean)
 *
 * Decode rows must form a full grid (every batch with every context). Blank lines and # comments are skipped.
 */
export interface ProfileTable {
  readonly source: string;
  /** Ascending. */
  readonly prefillTokens: Float64Array;
  readonly prefillMs: Float64Array;
  /** Ascending. */
  readonly decodeBatches: Float64Array;
  /** Ascending. */
  readonly decodeContexts: Float64Array;
  /** Row-major by batch: decodeMs[b × contexts + c]. */
  readonly decodeMs: Float64Array;
}

export function loadProfileTable(file: string): ProfileTable {
  return profileFromCsv(readCsvFile(file));
}

export function parseProfileTable(text: string, source: string): ProfileTable {
  return profileFromCsv(parseCsv(text, source));
}

function profileFromCsv(table: CsvTable): ProfileTable {
  const col = { phase: columnIndex(table, 'phase'), tokens: columnIndex(table, 'tokens'), batch: columnIndex(table, 'batch'), context: columnIndex(table, 'context'), ms: columnIndex(table, 'ms') };
  const prefill = new Map<number, number>();
  const decode = new Map<string, number>();
  const batches = new Set<number>();
  const contexts = new Set<number>();
  for (const row of table.rows) {
    const fail = (column: number, problem: string): never => {
      throw new InputError(`line ${row.line}, column "${table.header[column]}": ${problem}`, table.source);
    };
    const cell = (column: number, min: number, what: string): number => {
      const v = numberCell(table, row, column);
      if (v === undefined) return fail(column, `empty; expected ${what}`);
      if (v < min) return fail(column, `${v} is below ${min}; expected ${what}`);
      return v;
    };
    const ms = cell(col.ms, Number.MIN_VALUE, 'a step time in ms greater than 0');
    const phase = row.cells[col.phase];
    if (phase === 'prefill') {
      const tokens = cell(col.tokens, 1, 'the prefill tokens of the step (≥ 1)');
      if (prefill.has(tokens)) fail(col.tokens, `a second prefill row for ${tokens} tokens`);
      prefill.set(tokens, ms);
    } else if (phase === 'decode') {
      const batch = cell(col.batch, 1, 'the decode batch size (≥ 1)');
      const context = cell(col.context, 0, 'the context tokens per sequence (≥ 0)');
      const key = `${batch}/${context}`;
      if (decode.has(key)) fail(col.batch, `a second decode row for batch ${batch}, context ${context}`);
      decode.set(key, ms);
      batches.add(batch);
      contexts.add(context);
    } else {
      fail(col.phase, `${JSON.stringify(phase)} is not a phase; expected prefill or decode`);
    }
  }
  if (prefill.size === 0) throw new InputError('no prefill rows; expected at least one "prefill,<tokens>,,,<ms>" row', table.source);
  if (decode.size === 0) throw new InputError('no decode rows; expected at least one "decode,,<batch>,<context>,<ms>" row', table.source);

  const prefillTokens = Float64Array.from([...prefill.keys()].sort((a, b) => a - b));
  const decodeBatches = Float64Array.from([...batches].sort((a, b) => a - b));
  const decodeContexts = Float64Array.from([...contexts].sort((a, b) => a - b));
  const decodeMs = new Float64Array(decodeBatches.length * decodeContexts.length);
  for (let b = 0; b < decodeBatches.length; b++) {
    for (let c = 0; c < decodeContexts.length; c++) {
      const ms = decode.get(`${decodeBatches[b]}/${decodeContexts[c]}`);
      if (ms === undefined) {
        throw new InputError(`decode rows do not form a grid: no row for batch ${decodeBatches[b]} at context ${decodeContexts[c]} (every batch needs every context)`, table.source);
      }
      decodeMs[b * decodeContexts.length + c] = ms;
    }
  }
  return { source: table.source, prefillTokens, prefillMs: Float64Array.from(prefillTokens, (t) => prefill.get(t) as number), decodeBatches, decodeContexts, decodeMs };
}

/**
 * Interpolates the table: linearly in prefill tokens, bilinearly in (decode batch, mean context). Below the
 * smallest measured value of a dimension the edge value holds (a step is never cheaper than the smallest one
 * measured). Above the largest it extrapolates along the last segment's slope (never downwards), since step
 * time keeps growing with tokens, batch and context; such results are only as good as the linearity.
 * A mixed step (chunked prefill plus decodes) costs prefill + decode minus the table's cheapest decode step,
 * the fixed cost both contain (weights read, launch overheads), and at least the larger of the two.
 * An empty batch costs nothing.
 */
export class ProfileStepTime implements StepTimeModel {
  readonly name: string;
  private readonly t: ProfileTable;
  private readonly sharedFixedMs: number;

  constructor(table: ProfileTable) {
    this.t = table;
    this.name = `profile (${table.source})`;
    this.sharedFixedMs = table.decodeMs[0];
  }

  stepSeconds(b: BatchShape): number {
    const prefill = b.prefillTokens > 0 ? this.prefillMs(b.prefillTokens) : 0;
    const decode = b.decodeSeqs > 0 ? this.decodeMs(b.decodeSeqs, b.decodeContextTokens / b.decodeSeqs) : 0;
    if (prefill === 0 || decode === 0) return (prefill + decode) / 1000;
    const mixed = prefill + decode - this.sharedFixedMs;
    const larger = prefill > decode ? prefill : decode;
    return (mixed > larger ? mixed : larger) / 1000;
  }

  private prefillMs(tokens: number): number {
    const xs = this.t.prefillTokens;
    const i = segment(xs, tokens);
    return along(this.t.prefillMs[i], this.t.prefillMs[i + 1], fraction(xs, i, tokens));
  }

  private decodeMs(batch: number, context: number): number {
    const bs = this.t.decodeBatches;
    const cs = this.t.decodeContexts;
    const n = cs.length;
    const ms = this.t.decodeMs;
    const bi = segment(bs, batch);
    const ci = segment(cs, context);
    const bt = fraction(bs, bi, batch);
    const ct = fraction(cs, ci, context);
    const lower = along(ms[bi * n + ci], ms[bi * n + ci + 1], ct);
    if (bs.length === 1) return lower;
    const upper = along(ms[(bi + 1) * n + ci], ms[(bi + 1) * n + ci + 1], ct);
    return along(lower, upper, bt);
  }
}

/** Index of the segment [xs[i], xs[i+1]] to use for x (the first or last one outside the range). */
function segment(xs: Float64Array, x: number): number {
  let lo = 0;
  let hi = xs.length - 2;
  if (hi < 0) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Position of x in segment i: 0 below the table, > 1 beyond it; 0 for a one-point dimension. */
function fraction(xs: Float64Array, i: number, x: number): number {
  if (xs.length === 1) return 0;
  const t = (x - xs[i]) / (xs[i + 1] - xs[i]);
  return t > 0 ? t : 0;
}

/**
 * Linear between y0 and y1; beyond y1 along the segment's slope, but never downwards. At t = 0 y1 is not read
 * (it does not exist for a one-point dimension).
 */
function along(y0: number, y1: number, t: number): number {
  if (t === 0) return y0;
  if (t <= 1) return y0 + t * (y1 - y0);
  const slope = y1 > y0 ? y1 - y0 : 0;
  return y1 + (t - 1) * slope;
}
