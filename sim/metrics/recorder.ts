import { InputError, InternalError } from '../errors.js';
import type { Request, VersionRole } from '../traffic/request.js';
import { DisplaySeries, MAX_SERIES_POINTS, windowsPerPoint } from './display-series.js';
import { LatencySummaryBuilder, NO_ROLLOUT, TIME_EPS, windowIndex } from './latency-summary.js';
import type { RolloutBounds } from './latency-summary.js';
import { PrefixSummaryBuilder } from './prefix-summary.js';
import { SeriesPoint } from './series-point.js';
import { CAUSE_COLUMNS, CAUSES_BY_OUTCOME, GAUGE_FIELDS } from './series.js';
import type { CauseColumn, FailureOutcome, Gauges, SeriesRow } from './series.js';
import type { QuantileView } from './sketch.js';
import type { Summary } from './summary-types.js';
import {
  ALL_SLOTS,
  COMPLETED,
  DROPPED,
  E2E,
  METRICS,
  NEW,
  newLatencySketches,
  OLD,
  OUTCOMES,
  REJECTED,
  TIMED_OUT,
  TPOT,
  TTFT,
  UNROUTED,
} from './window-stats.js';
import { WindowStats } from './window-stats.js';
import type { LatencySketches, SlotRange } from './window-stats.js';
import { WindowRing } from './window-ring.js';

export type { Gauges } from './series.js';
export type { RolloutBounds } from './latency-summary.js';
export { MIN_PEAK_WINDOW_SAMPLES } from './latency-summary.js';

/** Per-request latency limits in seconds. A request meets the SLO when each configured figure is within its limit. */
export interface SloTargets {
  ttftP95?: number;
  tpotP95?: number;
  e2eP95?: number;
}

export interface MetricsRecorderOptions {
  windowSeconds?: number;
  slo: SloTargets;
  /**
   * Record mirrored (shadow) copies instead of client requests: their telemetry for shadow analysis, and only
   * that (no series, no latency summary).
   */
  mirrors?: boolean;
  /**
   * How far back from the latest sample `query` may reach, in seconds (the longest analysis window); windows
   * older than that are let go once closed. Default: no limit (every window is kept).
   */
  queryReach?: number;
  /** The run's length, when known: series() then merges adjacent windows into at most `maxSeriesPoints` points. */
  duration?: number;
  /** Default MAX_SERIES_POINTS. */
  maxSeriesPoints?: number;
  /** Receives each window's row as soon as the window is final, in window order (e.g. to stream a CSV). */
  onWindow?: (row: SeriesRow) => void;
  /** The rollout's bounds as far as it has happened, read as windows close. Default: no rollout. */
  rolloutBounds?: () => RolloutBounds;
}

/** What a rollout analysis sees of a stretch of time. Latencies are in seconds. */
export interface Telemetry {
  ttft: QuantileView;
  tpot: QuantileView;
  e2e: QuantileView;
  completed: number;
  dropped: number;
  rejected: number;
  timedOut: number;
  /** completed + dropped + rejected + timedOut. */
  finished: number;
  /** (dropped + rejected + timedOut) / finished; null when nothing finished. */
  errorRate: number | null;
}

const SLOTS: Readonly<Record<VersionRole | 'all', SlotRange>> = {
  old: { first: OLD, last: OLD },
  new: { first: NEW, last: NEW },
  all: ALL_SLOTS,
};

const OUTCOME_INDEX: Readonly<Record<FailureOutcome, number>> = {
  dropped: DROPPED,
  rejected: REJECTED,
  timedOut: TIMED_OUT,
};

/** Column of each cause in CAUSE_COLUMNS, per outcome (plain lookups, no string building per request). */
const causeColumns = (outcome: FailureOutcome): ReadonlyMap<string, number> =>
  new Map(CAUSES_BY_OUTCOME[outcome].map((cause) => [cause, CAUSE_COLUMNS.indexOf(`${outcome}:${cause}` as CauseColumn)]));
const CAUSE_INDEX: Readonly<Record<FailureOutcome, ReadonlyMap<string, number>>> = {
  dropped: causeColumns('dropped'),
  rejected: causeColumns('rejected'),
  timedOut: causeColumns('timedOut'),
};

/** Mirrored copies are load, not client traffic: their outcomes never count. */
function assertKind(req: Request, mirrors: boolean): void {
  if (req.shadow !== mirrors) {
    throw new InternalError(
      `metrics: ${req.shadow ? 'shadow' : 'client'} request ${req.id} reported to the ${mirrors ? 'mirror' : 'client'} recorder`,
    );
  }
}

/**
 * Records every logical request's outcome into fixed time windows (right-closed: (kW, (k+1)W], so what happens
 * exactly at a window end, including the run's end time, belongs to the window sampled there).
 *
 * TTFT is counted in the window of the first token, TPOT and end-to-end latency in the window of completion.
 * Only completed requests contribute latency (as vLLM's benchmark client does).
 *
 * Memory is flat in the number of requests and in the run's length. A window is held (counters and small
 * per-version latency sketches) while it can still change and while `query` can reach it. It can change until
 * every request that arrived in it or before has finished: a TTFT lands in the window of the first token, which
 * comes after the arrival. It then closes: its row goes to `onWindow`, into the display series (DisplaySeries:
 * adjacent windows merged on long runs) and into the running baseline/rollout latency (LatencySummaryBuilder).
 */
export class MetricsRecorder {
  readonly windowSeconds: number;
  private readonly ttftLimit: number;
  private readonly tpotLimit: number;
  private readonly e2eLimit: number;
  private readonly hasSlo: boolean;
  private readonly mirrors: boolean;
  private readonly queryReach: number;
  private readonly onWindow: ((row: SeriesRow) => void) | undefined;
  private readonly rolloutBounds: () => RolloutBounds;
  private readonly windows: WindowRing;
  private sampledWindows = 0;
  /** Windows closed so far (0..closedWindows-1): nothing more may be recorded in them. */
  private closedWindows = 0;
  private lastSampleEnd = 0;
  private lastWindowShort = false;
  private inFlightAtEnd: number | null = null;
  /** Where a mirror recorder puts what falls in windows already let go. */
  private readonly unread = new WindowStats();
  private readonly windowPoint = new SeriesPoint();
  private readonly display: DisplaySeries;
  private readonly latency: LatencySummaryBuilder;
  private readonly prefix: PrefixSummaryBuilder;

  private arrivedTotal = 0;
  private completedTotal = 0;
  private readonly failedTotals = new Float64Array(OUTCOMES);
  private readonly causeTotals = new Float64Array(CAUSE_COLUMNS.length);
  private droppedStreamedTokens = 0;
  private retries = 0;
  private metSlo = 0;

  constructor(options: MetricsRecorderOptions) {
    const windowSeconds = options.windowSeconds ?? 10;
    if (!(windowSeconds > 0 && windowSeconds < Infinity)) {
      throw new InputError(`expected a positive number of seconds, got ${windowSeconds}`, 'windowSeconds');
    }
    this.windowSeconds = windowSeconds;
    this.mirrors = options.mirrors ?? false;
    const limit = (key: keyof SloTargets): number => {
      const value = options.slo[key];
      if (value === undefined) return Infinity;
      if (!(value > 0 && value < Infinity)) {
        throw new InputError(`expected a positive number of seconds, got ${value}`, `slo.${key}`);
      }
      return value;
    };
    this.ttftLimit = limit('ttftP95');
    this.tpotLimit = limit('tpotP95');
    this.e2eLimit = limit('e2eP95');
    this.hasSlo = this.ttftLimit < Infinity || this.tpotLimit < Infinity || this.e2eLimit < Infinity;
    this.queryReach = options.queryReach ?? Infinity;
    if (!(this.queryReach >= 0)) throw new InternalError(`metrics: expected a query reach ≥ 0 seconds, got ${this.queryReach}`);
    this.onWindow = options.onWindow;
    this.rolloutBounds = options.rolloutBounds ?? (() => NO_ROLLOUT);
    this.windows = new WindowRing(windowSeconds);
    const expectedWindows = options.duration === undefined ? 1 : Math.ceil(options.duration / windowSeconds - TIME_EPS);
    this.display = new DisplaySeries(windowsPerPoint(expectedWindows, options.maxSeriesPoints ?? MAX_SERIES_POINTS));
    this.latency = new LatencySummaryBuilder(windowSeconds);
    this.prefix = new PrefixSummaryBuilder(windowSeconds);
  }

  /** A new logical request (retries are not new requests). */
  arrived(at: number): void {
    const window = this.recordingWindow(at);
    window.arrivals++;
    window.unfinished++;
    this.arrivedTotal++;
  }

  completed(req: Request, at: number): void {
    const slot = this.servedSlot(req);
    const ttft = req.firstTokenAt - req.firstArrival;
    const e2e = req.finishedAt - req.firstArrival;
    if (!(ttft >= 0 && e2e >= ttft)) {
      throw new InternalError(
        `metrics: request ${req.id} has firstArrival ${req.firstArrival}, firstTokenAt ${req.firstTokenAt}, ` +
          `finishedAt ${req.finishedAt}; expected firstArrival ≤ firstTokenAt ≤ finishedAt`,
      );
    }
    this.finishedArrival(req);
    const window = this.recordingWindow(at);
    window.countFinished(COMPLETED, slot);
    window.outputTokens += req.outputTokens;
    window.sketch(E2E, slot).add(e2e);
    this.recordingWindow(req.firstTokenAt).sketch(TTFT, slot).add(ttft);
    let meetsTpot = true;
    if (req.outputTokens > 1) {
      const tpot = (req.finishedAt - req.firstTokenAt) / (req.outputTokens - 1);
      window.sketch(TPOT, slot).add(tpot);
      meetsTpot = tpot <= this.tpotLimit;
    }
    this.completedTotal++;
    if (meetsTpot && ttft <= this.ttftLimit && e2e <= this.e2eLimit) this.metSlo++;
  }

  /** The final outcome of a logical request that did not complete (after any retries). */
  failed(req: Request, at: number, outcome: FailureOutcome, cause: string): void {
    assertKind(req, this.mirrors);
    const column = CAUSE_INDEX[outcome]?.get(cause);
    if (column === undefined) {
      throw new InternalError(
        `metrics: unknown ${outcome} cause '${cause}'; expected one of ${CAUSES_BY_OUTCOME[outcome]?.join(', ')}`,
      );
    }
    const index = OUTCOME_INDEX[outcome];
    const slot = req.version === 'old' ? OLD : req.version === 'new' ? NEW : UNROUTED;
    this.finishedArrival(req);
    const window = this.recordingWindow(at);
    window.countFinished(index, slot);
    window.causes[column]++;
    this.failedTotals[index]++;
    this.causeTotals[column]++;
    if (index === DROPPED) this.droppedStreamedTokens += req.tokensStreamed;
  }

  retried(): void {
    this.retries++;
  }

  /**
   * Closes the next window with a snapshot of the gauges. `at` must be that window's end, or, for the last
   * window only, an earlier time when the run ends mid-window.
   */
  sample(at: number, gauges: Gauges): void {
    if (this.lastWindowShort || this.inFlightAtEnd !== null) {
      throw new InternalError(`metrics.sample at ${at}s: the final window was already sampled`);
    }
    const index = this.sampledWindows;
    const start = index * this.windowSeconds;
    const end = (index + 1) * this.windowSeconds;
    const tolerance = TIME_EPS * Math.max(1, end);
    if (!(at > start + tolerance && at <= end + tolerance)) {
      throw new InternalError(
        `metrics.sample at ${at}s: expected the end of window ${index} (${end}s), ` +
          `or for the last window a time in (${start}, ${end}]`,
      );
    }
    const window = this.windows.at(index);
    for (let i = 0; i < GAUGE_FIELDS.length; i++) {
      const value = gauges[GAUGE_FIELDS[i]];
      if (!Number.isFinite(value)) {
        throw new InternalError(`metrics.sample at ${at}s: gauge ${GAUGE_FIELDS[i]} is ${value}`);
      }
      window.gauges[i] = value;
    }
    window.end = at >= end - tolerance ? end : at;
    this.lastSampleEnd = window.end;
    this.lastWindowShort = window.end < end;
    this.sampledWindows++;
    // Events at this very instant still belong to the window just sampled: it closes at a later sample at the
    // earliest, and only once the requests that arrived in it or before have all finished.
    if (!this.mirrors) {
      while (this.closedWindows < this.sampledWindows - 1 && this.windows.at(this.closedWindows).unfinished === 0) {
        this.closeWindow();
      }
    }
    this.releaseWindows();
  }

  /** Ends the run at `at`, which must be the last sampled time; `inFlight` logical requests had not finished. */
  finish(at: number, inFlight: number): void {
    if (this.inFlightAtEnd !== null) throw new InternalError('metrics.finish called twice');
    if (Math.abs(at - this.lastSampleEnd) > TIME_EPS * Math.max(1, at)) {
      throw new InternalError(
        `metrics.finish at ${at}s: the last sampled window ends at ${this.lastSampleEnd}s; sample the final window at the end time first`,
      );
    }
    if (this.windows.created > this.sampledWindows) {
      throw new InternalError(
        `metrics.finish at ${at}s: requests were recorded after the end time (window ${this.windows.created - 1})`,
      );
    }
    if (!(Number.isInteger(inFlight) && inFlight >= 0)) {
      throw new InternalError(`metrics.finish: expected a whole number of in-flight requests ≥ 0, got ${inFlight}`);
    }
    this.inFlightAtEnd = inFlight;
    if (this.mirrors) return;
    // Nothing more can happen: requests still in flight never finish.
    while (this.closedWindows < this.sampledWindows) this.closeWindow();
    this.display.finish();
  }

  /**
   * Telemetry of one version (or all requests) over every window that overlaps [from, to): the resolution is
   * one window, so a range that starts or ends mid-window includes that whole window. `from` must be within
   * the query reach of the latest sample. With `also`, another recorder's requests of the same windows are
   * counted too (a blue-green preview's test and mirrored requests with its live ones).
   */
  query(version: VersionRole | 'all', from: number, to: number, also: MetricsRecorder | null = null): Telemetry {
    const latency = newLatencySketches();
    const counts = [0, 0, 0, 0];
    this.accumulate(version, from, to, latency, counts);
    also?.accumulate(version, from, to, latency, counts);
    const [ttft, tpot, e2e] = latency;
    const [completed, dropped, rejected, timedOut] = counts;
    const finished = completed + dropped + rejected + timedOut;
    const errorRate = finished === 0 ? null : (dropped + rejected + timedOut) / finished;
    return { ttft, tpot, e2e, completed, dropped, rejected, timedOut, finished, errorRate };
  }

  /** Adds the windows overlapping [from, to) to `latency` and to `counts` (completed, dropped, rejected, timed out). */
  private accumulate(version: VersionRole | 'all', from: number, to: number, latency: LatencySketches, counts: number[]): void {
    if (!(from >= 0 && to >= from && to < Infinity)) {
      throw new InternalError(`metrics.query: expected 0 ≤ from ≤ to < ∞, got [${from}, ${to})`);
    }
    const slots = SLOTS[version];
    const first = Math.floor(from / this.windowSeconds + TIME_EPS);
    const last = Math.min(this.windows.created - 1, Math.ceil(to / this.windowSeconds - TIME_EPS) - 1);
    if (first < this.windows.base && first <= last) {
      throw new InternalError(
        `metrics.query: [${from}, ${to}) reaches before ${this.windows.base * this.windowSeconds}s, the oldest ` +
          `telemetry kept (query reach ${this.queryReach}s)`,
      );
    }
    for (let w = Math.max(0, first); w <= last; w++) {
      const window = this.windows.at(w);
      for (const metric of METRICS) window.mergeLatency(latency[metric], metric, slots);
      counts[0] += window.finishedCount(COMPLETED, slots);
      counts[1] += window.finishedCount(DROPPED, slots);
      counts[2] += window.finishedCount(REJECTED, slots);
      counts[3] += window.finishedCount(TIMED_OUT, slots);
    }
  }

  /**
   * The time series for charts and reports: one row per window, or on runs longer than `maxSeriesPoints`
   * windows, adjacent windows merged into one point (SeriesPoint). Every window's own row went to `onWindow`.
   */
  series(): SeriesRow[] {
    this.assertSummarised('series');
    return this.display.rows();
  }

  /** The request counts (expectedDropped, the drop estimator's, is the run's to add). */
  requestsSummary(): Omit<Summary['requests'], 'expectedDropped'> {
    const inFlightAtEnd = this.assertFinished('requestsSummary');
    const dropped = this.failedTotals[DROPPED];
    const rejected = this.failedTotals[REJECTED];
    const timedOut = this.failedTotals[TIMED_OUT];
    const accounted = this.completedTotal + dropped + rejected + timedOut + inFlightAtEnd;
    if (accounted !== this.arrivedTotal) {
      throw new InternalError(
        `request accounting broken: arrived ${this.arrivedTotal} ≠ completed ${this.completedTotal} + dropped ` +
          `${dropped} + rejected ${rejected} + timedOut ${timedOut} + inFlightAtEnd ${inFlightAtEnd} = ${accounted}`,
      );
    }
    return {
      arrived: this.arrivedTotal,
      completed: this.completedTotal,
      dropped,
      rejected,
      timedOut,
      inFlightAtEnd,
      droppedByCause: this.countsByCause('dropped'),
      rejectedByCause: this.countsByCause('rejected'),
      timedOutByCause: this.countsByCause('timedOut'),
      droppedStreamedTokens: this.droppedStreamedTokens,
      retries: this.retries,
    };
  }

  /** The fleet's prefix-cache hit rate overall, before and during the rollout (PrefixSummaryBuilder). */
  prefixCacheSummary(): Summary['prefixCache'] {
    this.assertSummarised('prefixCacheSummary');
    return this.prefix.summary();
  }

  /** Overall, baseline and rollout latency and the peak window, with the rollout's final bounds (LatencySummaryBuilder). */
  latencySummary(): Summary['latency'] {
    this.assertSummarised('latencySummary');
    return this.latency.summary(this.rolloutBounds());
  }

  /**
   * Share of finished logical requests (completed or failed; in-flight ones excluded) that met every configured
   * SLO limit; a failed request misses. Null without an SLO or without finished requests.
   */
  goodput(): Summary['goodput'] {
    this.assertFinished('goodput');
    const finished = this.completedTotal + this.failedTotals[DROPPED] + this.failedTotals[REJECTED] +
      this.failedTotals[TIMED_OUT];
    return { sloAttainment: this.hasSlo && finished > 0 ? this.metSlo / finished : null };
  }

  /** Windows held now: the part of memory that depends on the run's length. */
  heldWindows(): number {
    return this.windows.held;
  }

  /** Sketch buckets allocated over the windows held: the part of memory that depends on the data. */
  sketchBins(): number {
    let bins = 0;
    for (const window of this.windows.heldWindows()) bins += window.allocatedBins();
    return bins;
  }

  /**
   * The window holding `at`, to record into. A mirror recorder records what falls in a window already let go
   * (no query can reach it any more) into a window that is never read.
   */
  private recordingWindow(at: number): WindowStats {
    const index = windowIndex(at, this.windowSeconds);
    if (index >= this.closedWindows && index >= this.windows.base) return this.windows.at(index);
    if (this.mirrors) return this.unread;
    throw new InternalError(`metrics: recording at ${at}s into window ${index}, which has closed`);
  }

  /** A logical request finished: its arrival window has one request less that can still add a sample. */
  private finishedArrival(req: Request): void {
    if (this.mirrors) return;
    const window = this.windows.at(windowIndex(req.firstArrival, this.windowSeconds));
    if (--window.unfinished < 0) {
      throw new InternalError(`metrics: request ${req.id} finished, but no unfinished arrival at ${req.firstArrival}s was recorded`);
    }
  }

  private closeWindow(): void {
    const index = this.closedWindows;
    const window = this.windows.at(index);
    const point = this.windowPoint;
    point.clear();
    point.add(window);
    const row = point.row();
    this.onWindow?.(row);
    this.display.add(window, row);
    const bounds = this.rolloutBounds();
    this.latency.add(window, index, point.ttft, bounds);
    this.prefix.add(window, index, bounds);
    this.closedWindows++;
  }

  /** Lets go of the windows that have closed (any window, for a mirror recorder) and that no query can reach. */
  private releaseWindows(): void {
    // One window of slack below the oldest a query from now on can touch.
    const reachable = Math.floor((this.lastSampleEnd - this.queryReach) / this.windowSeconds) - 1;
    this.windows.releaseBefore(this.mirrors ? reachable : Math.min(this.closedWindows, reachable));
  }

  private servedSlot(req: Request): number {
    assertKind(req, this.mirrors);
    if (req.version === 'old') return OLD;
    if (req.version === 'new') return NEW;
    throw new InternalError(`metrics: completed request ${req.id} has no version`);
  }

  private assertFinished(method: string): number {
    if (this.inFlightAtEnd === null) throw new InternalError(`metrics.${method} called before finish`);
    return this.inFlightAtEnd;
  }

  /** The series and the latency summary: client requests only, after finish. */
  private assertSummarised(method: string): void {
    if (this.mirrors) throw new InternalError(`metrics.${method}: a mirror recorder keeps telemetry only`);
    this.assertFinished(method);
  }

  private countsByCause(outcome: FailureOutcome): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [cause, column] of CAUSE_INDEX[outcome]) {
      if (this.causeTotals[column] > 0) counts[cause] = this.causeTotals[column];
    }
    return counts;
  }
}
