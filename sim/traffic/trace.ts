/*
 * Trace replay in the format of the Azure LLM inference traces (TIMESTAMP,ContextTokens,GeneratedTokens).
 * The staged traces under data/traces/azure-llm-2023 are from https://github.com/Azure/AzurePublicDataset
 * (CC-BY-4.0). Attribution: Patel et al., "Splitwise: Efficient generative LLM inference using phase splitting",
 * ISCA 2024.
 */
import { InputError } from '../errors.js';
import type { ArrivalProcess } from './arrivals.js';
import { LineReader } from './line-reader.js';

export const TRACE_COLUMNS = ['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'] as const;
export type TraceTokenColumn = 'ContextTokens' | 'GeneratedTokens';

// As in the Azure traces: "2023-11-16 18:15:46.6805900" (any number of fraction digits; a 'T' also accepted).
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;
const SECONDS = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const COUNT = /^\d+$/;

/**
 * Reads a trace row by row. Times are seconds since the first row. Datetimes are split into whole seconds and
 * a fraction before subtracting, so 100 ns resolution survives (epoch seconds alone would lose it in a double).
 */
export class TraceReader {
  /** Seconds since the first row, and the token counts, of the row last read. */
  time = 0;
  contextTokens = 0;
  generatedTokens = 0;
  /** The row's cell in the optional extra column (e.g. the LoRA adapter a request names); '' without one. */
  extra = '';
  /** Rows read in this pass. */
  rows = 0;
  private readonly lines: LineReader;
  private readonly columns: readonly number[];
  private readonly columnCount: number;
  private readonly extraColumn: number;
  private datetimes: boolean | null = null;
  private baseWhole = 0;
  private baseFraction = 0;
  private hasBase = false;

  /** `extraColumn`: one more column the header must have, read as text (traffic.adapterColumn). */
  constructor(
    readonly file: string,
    extraColumn?: string,
  ) {
    this.lines = new LineReader(file);
    const header = this.lines.readLine();
    if (header === null) throw new InputError(`${file} is empty; expected the header ${TRACE_COLUMNS.join(',')}`);
    const names = header.split(',').map((n) => n.trim());
    const missing = [...TRACE_COLUMNS, ...(extraColumn === undefined ? [] : [extraColumn])].filter((c) => !names.includes(c));
    if (missing.length > 0) {
      throw new InputError(
        `the header lacks ${missing.join(', ')}; expected the columns ${TRACE_COLUMNS.join(',')} (Azure LLM inference trace format), got "${header}"`,
        `${file} line 1`,
      );
    }
    this.columns = TRACE_COLUMNS.map((c) => names.indexOf(c));
    this.columnCount = names.length;
    this.extraColumn = extraColumn === undefined ? -1 : names.indexOf(extraColumn);
  }

  /** Reads the next row; false at the end of the file. */
  nextRow(): boolean {
    for (;;) {
      const line = this.lines.readLine();
      if (line === null) return false;
      if (line.trim() === '') continue;
      const cells = line.split(',');
      if (cells.length !== this.columnCount) {
        throw this.rowError(null, `${this.columnCount} comma-separated values as in the header`, line);
      }
      const time = this.parseTime(cells[this.columns[0]].trim());
      if (this.rows > 0 && time < this.time) {
        throw this.rowError(
          'TIMESTAMP',
          `rows in time order; this row is ${(this.time - time).toFixed(6)} s before the previous one`,
          cells[this.columns[0]],
        );
      }
      this.time = time;
      this.contextTokens = this.parseCount(cells[this.columns[1]].trim(), 'ContextTokens');
      this.generatedTokens = this.parseCount(cells[this.columns[2]].trim(), 'GeneratedTokens');
      if (this.extraColumn >= 0) this.extra = cells[this.extraColumn].trim();
      this.rows++;
      return true;
    }
  }

  rewind(): void {
    this.lines.rewind();
    this.lines.readLine();
    this.rows = 0;
  }

  private parseTime(text: string): number {
    const dt = DATETIME.exec(text);
    this.datetimes ??= dt !== null;
    let whole: number;
    let fraction = 0;
    if (this.datetimes) {
      if (dt === null || !validClock(dt)) {
        throw this.rowError('TIMESTAMP', 'a datetime like 2023-11-16 18:15:46.6805900, as in the first row', text);
      }
      const [, y, mo, d, h, mi, s, frac] = dt;
      whole = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s) / 1000;
      if (frac !== undefined) fraction = Number(`0${frac}`);
    } else {
      if (!SECONDS.test(text)) {
        const expected = this.hasBase
          ? 'seconds (a number), as in the first row'
          : 'seconds (a number) or a datetime like 2023-11-16 18:15:46.6805900';
        throw this.rowError('TIMESTAMP', expected, text);
      }
      whole = Number(text);
    }
    if (!this.hasBase) {
      // Kept across rewinds, so every pass of a looped trace shares one time origin.
      this.baseWhole = whole;
      this.baseFraction = fraction;
      this.hasBase = true;
    }
    return whole - this.baseWhole + (fraction - this.baseFraction);
  }

  private parseCount(text: string, column: TraceTokenColumn): number {
    if (!COUNT.test(text)) throw this.rowError(column, 'a whole number of tokens (0 or more)', text);
    return Number(text);
  }

  /** A bad row, reported at its place in the file. */
  rowError(column: string | null, expected: string, got: string): InputError {
    const where = `${this.file} line ${this.lines.lineNumber}${column === null ? '' : `, column ${column}`}`;
    return new InputError({ expected, got: `"${got}"` }, where);
  }
}

/** Opens a trace; a missing or unreadable file, or a bad header, is reported at the scenario field `path`. */
export function openTrace(file: string, path: string, extraColumn?: string): TraceReader {
  try {
    return new TraceReader(file, extraColumn);
  } catch (error) {
    if (error instanceof InputError) throw error.at(error.path === undefined ? path : `${path}: ${error.path}`);
    throw error;
  }
}

function validClock(m: RegExpExecArray): boolean {
  const [mo, d, h, mi, s] = [+m[2], +m[3], +m[4], +m[5], +m[6]];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s < 60;
}

export interface TraceReplayOptions {
  /** Stretch factor on the trace's time axis (2 = half the rate), as vidur's time_scale_factor. */
  timeScale: number;
  /** Speed-up factor on the rate (2 = twice the rate); combines with timeScale as timeScale / rateScale. */
  rateScale: number;
  /** Trace seconds to skip: replay starts at this point of the trace (before scaling). */
  offset: number;
  /** Replay again from the first row after the last one, with the trace's mean gap between the two passes. */
  loop: boolean;
  /** A column naming each request's LoRA adapter (traffic.adapterColumn). */
  adapterColumn?: string;
}

/**
 * Replays a trace as arrivals, one row per call. The token counts of the row last returned stay readable until
 * the next call (the request for an arrival is created before the following arrival is read).
 */
export class TraceArrivals implements ArrivalProcess {
  contextTokens = 0;
  generatedTokens = 0;
  /** The adapter the row names ('' for the base model), with options.adapterColumn. */
  adapter = '';
  private readonly reader: TraceReader;
  private readonly factor: number;
  private origin = NaN;
  private pass = 0;
  /** Trace seconds from one pass's first row to the next pass's first row. */
  private period = 0;
  private emitted = 0;

  constructor(
    file: string,
    private readonly options: TraceReplayOptions,
    path = 'trace',
  ) {
    for (const key of ['timeScale', 'rateScale'] as const) {
      const v = options[key];
      if (!(v > 0) || !Number.isFinite(v)) throw new InputError({ expected: 'a factor above 0', got: String(v) }, `${path}.${key}`);
    }
    if (!(options.offset >= 0) || !Number.isFinite(options.offset)) {
      throw new InputError({ expected: '0 or more seconds', got: String(options.offset) }, `${path}.offset`);
    }
    this.reader = openTrace(file, `${path}.file`, options.adapterColumn);
    this.factor = options.timeScale / options.rateScale;
  }

  next(now: number): number {
    if (Number.isNaN(this.origin)) this.origin = now;
    const reader = this.reader;
    const offset = this.options.offset;
    for (;;) {
      if (reader.nextRow()) {
        if (this.pass === 0 && reader.time < offset) continue;
        this.contextTokens = reader.contextTokens;
        this.generatedTokens = reader.generatedTokens;
        this.adapter = reader.extra;
        this.emitted++;
        return this.origin + (reader.time + this.pass * this.period - offset) * this.factor;
      }
      if (this.pass === 0) this.endFirstPass();
      if (!this.options.loop) return Infinity;
      this.pass++;
      reader.rewind();
    }
  }

  describe(): string {
    const { timeScale, rateScale, offset, loop } = this.options;
    const looped = loop ? ', looped' : '';
    return `trace ${this.reader.file} (timeScale ${timeScale}, rateScale ${rateScale}, offset ${offset}s${looped})`;
  }

  /** The row just replayed is bad: `expected` at its place in the file. */
  rowError(column: string, expected: string, got: string): InputError {
    return this.reader.rowError(column, expected, got);
  }

  private endFirstPass(): void {
    const reader = this.reader;
    if (reader.rows === 0) throw new InputError(`${reader.file} has a header but no rows`);
    const span = reader.time;
    if (this.emitted === 0) {
      throw new InputError(
        `offset ${this.options.offset}s skips the whole trace ${reader.file}, which spans ${span.toFixed(3)}s`,
      );
    }
    if (this.options.loop) {
      if (reader.rows < 2 || !(span > 0)) {
        throw new InputError('looping needs at least two rows at different times', reader.file);
      }
      this.period = span + span / (reader.rows - 1);
    }
  }
}
