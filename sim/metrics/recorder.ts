import { InputError, InternalError } from '../errors.js';
import type { Request, VersionRole } from '../traffic/request.js';
import { gridFields, statisticMs, SUMMARY_LATENCY } from './latency-fields.js';
import { CAUSE_COLUMNS, CAUSES_BY_OUTCOME, GAUGE_FIELDS, SERIES_LATENCY_FIELDS } from './series.js';
import type { CauseColumn, FailureOutcome, Gauges, SeriesRow } from './series.js';
import { QuantileSketch } from './sketch.js';
import type { QuantileView } from './sketch.js';
import type { LatencyStats, Summary } from './summary-types.js';
import {
  COMPLETED,
  DROPPED,
  E2E,
  NEW,
  OLD,
  OUTCOMES,
  REJECTED,
  TIMED_OUT,
  TPOT,
  TTFT,
  UNROUTED,
  WindowStats,
} from './window-stats.js';
import type { SlotRange } from './window-stats.js';

export type { Gauges } from './series.js';

/** Per-request latency limits in seconds. A request meets the SLO when each configured figure is within its limit. */
export interface SloTargets {
  ttftP95?: number;
  tpotP95?: number;
  e2eP95?: number;
}

export interface MetricsRecorderOptions {
  windowSeconds?: number;
  slo: SloTargets;
  /** Record mirrored (shadow) copies instead of client requests: their telemetry for shadow analysis. */
  mirrors?: boolean;
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

/**
 * The peak window must hold at least this many TTFT samples: one slow request in an almost idle window is
 * noise, not a spike, and would otherwise dominate the spike ratio.
 */
export const MIN_PEAK_WINDOW_SAMPLES = 5;

/** Relative slack for float noise in times, e.g. 3 × 0.1 = 0.30000000000000004 is still the end of window 2. */
const TIME_EPS = 1e-9;

const SLOTS: Readonly<Record<VersionRole | 'all', SlotRange>> = {
  old: { first: OLD, last: OLD },
  new: { first: NEW, last: NEW },
  all: { first: OLD, last: UNROUTED },
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

/** TTFT, TPOT and E2E, indexed by metric. */
type LatencySketches = [QuantileSketch, QuantileSketch, QuantileSketch];
const METRICS = [TTFT, TPOT, E2E] as const;
const newLatencySketches = (): LatencySketches => [new QuantileSketch(), new QuantileSketch(), new QuantileSketch()];

/** Mirrored copies are load, not client traffic: their outcomes never count. */
function assertKind(req: Request, mirrors: boolean): void {
  if (req.shadow !== mirrors) {
    throw new InternalError(
      `metrics: ${req.shadow ? 'shadow' : 'client'} request ${req.id} reported to the ${mirrors ? 'mirror' : 'client'} recorder`,
    );
  }
}

const SUMMARY_FIELDS = gridFields(SUMMARY_LATENCY);

/**
 * Records every logical request's outcome into fixed time windows (right-closed: (kW, (k+1)W], so what happens
 * exactly at a window end, including the run's end time, belongs to the window sampled there). Memory grows
 * with the number of windows, never with the number of requests: each window keeps counters and small
 * per-version latency sketches.
 *
 * TTFT is counted in the window of the first token, TPOT and end-to-end latency in the window of completion.
 * Only completed requests contribute latency (as vLLM's benchmark client does).
 */
export class MetricsRecorder {
  readonly windowSeconds: number;
  private readonly ttftLimit: number;
  private readonly tpotLimit: number;
  private readonly e2eLimit: number;
  private readonly hasSlo: boolean;
  private readonly windows: WindowStats[] = [];
  private sampledWindows = 0;
  private lastWindowShort = false;
  private inFlightAtEnd: number | null = null;
  private readonly mirrors: boolean;

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
  }

  /** A new logical request (retries are not new requests). */
  arrived(at: number): void {
    this.windowAt(at).arrivals++;
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
    const window = this.windowAt(at);
    window.countFinished(COMPLETED, slot);
    window.outputTokens += req.outputTokens;
    window.sketch(E2E, slot).add(e2e);
    this.windowAt(req.firstTokenAt).sketch(TTFT, slot).add(ttft);
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
    const window = this.windowAt(at);
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
    const values = new Float64Array(GAUGE_FIELDS.length);
    for (let i = 0; i < GAUGE_FIELDS.length; i++) {
      const value = gauges[GAUGE_FIELDS[i]];
      if (!Number.isFinite(value)) {
        throw new InternalError(`metrics.sample at ${at}s: gauge ${GAUGE_FIELDS[i]} is ${value}`);
      }
      values[i] = value;
    }
    const window = this.window(index);
    window.gauges = values;
    window.end = at >= end - tolerance ? end : at;
    this.lastWindowShort = window.end < end;
    this.sampledWindows++;
  }

  /** Ends the run at `at`, which must be the last sampled time; `inFlight` logical requests had not finished. */
  finish(at: number, inFlight: number): void {
    if (this.inFlightAtEnd !== null) throw new InternalError('metrics.finish called twice');
    const lastEnd = this.sampledWindows === 0 ? 0 : this.windows[this.sampledWindows - 1].end;
    if (Math.abs(at - lastEnd) > TIME_EPS * Math.max(1, at)) {
      throw new InternalError(
        `metrics.finish at ${at}s: the last sampled window ends at ${lastEnd}s; sample the final window at the end time first`,
      );
    }
    if (this.windows.length > this.sampledWindows) {
      throw new InternalError(
        `metrics.finish at ${at}s: requests were recorded after the end time (window ${this.windows.length - 1})`,
      );
    }
    if (!(Number.isInteger(inFlight) && inFlight >= 0)) {
      throw new InternalError(`metrics.finish: expected a whole number of in-flight requests ≥ 0, got ${inFlight}`);
    }
    this.inFlightAtEnd = inFlight;
  }

  /**
   * Telemetry of one version (or all requests) over every window that overlaps [from, to): the resolution is
   * one window, so a range that starts or ends mid-window includes that whole window.
   */
  query(version: VersionRole | 'all', from: number, to: number): Telemetry {
    if (!(from >= 0 && to >= from && to < Infinity)) {
      throw new InternalError(`metrics.query: expected 0 ≤ from ≤ to < ∞, got [${from}, ${to})`);
    }
    const slots = SLOTS[version];
    const first = Math.floor(from / this.windowSeconds + TIME_EPS);
    const last = Math.min(this.windows.length - 1, Math.ceil(to / this.windowSeconds - TIME_EPS) - 1);
    const [ttft, tpot, e2e] = this.mergeLatency(newLatencySketches(), first, last, slots);
    let completed = 0;
    let dropped = 0;
    let rejected = 0;
    let timedOut = 0;
    for (let w = first; w <= last; w++) {
      const window = this.windows[w];
      completed += window.finishedCount(COMPLETED, slots);
      dropped += window.finishedCount(DROPPED, slots);
      rejected += window.finishedCount(REJECTED, slots);
      timedOut += window.finishedCount(TIMED_OUT, slots);
    }
    const finished = completed + dropped + rejected + timedOut;
    const errorRate = finished === 0 ? null : (dropped + rejected + timedOut) / finished;
    return { ttft, tpot, e2e, completed, dropped, rejected, timedOut, finished, errorRate };
  }

  /** One row per sampled window. */
  series(): SeriesRow[] {
    const all = SLOTS.all;
    const latency = newLatencySketches();
    const rows: SeriesRow[] = [];
    for (let w = 0; w < this.sampledWindows; w++) {
      const window = this.windows[w];
      this.mergeLatency(latency, w, w, all);
      const seconds = window.end - w * this.windowSeconds;
      // Keys in SERIES_COLUMNS order.
      const row = {
        t: window.end,
        windowSeconds: seconds,
        arrivals: window.arrivals,
        completed: window.finishedCount(COMPLETED, all),
        outputTokensPerSec: window.outputTokens / seconds,
      } as SeriesRow;
      for (const field of SERIES_LATENCY_FIELDS) row[field.name] = statisticMs(latency[field.metricIndex], field.statistic);
      row.dropped = window.finishedCount(DROPPED, all);
      row.rejected = window.finishedCount(REJECTED, all);
      row.timedOut = window.finishedCount(TIMED_OUT, all);
      CAUSE_COLUMNS.forEach((column, i) => (row[column] = window.causes[i]));
      const gauges = window.gauges as Float64Array;
      GAUGE_FIELDS.forEach((field, i) => (row[field] = gauges[i]));
      rows.push(row);
    }
    return rows;
  }

  requestsSummary(): Summary['requests'] {
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

  /**
   * Overall, baseline and rollout latency. A window belongs to the baseline when it ends at or before the
   * rollout start, and to the rollout from there through the window holding the rollout end (the run's end
   * while it has not ended). Without a rollout the whole run is the baseline. The peak window is the rollout
   * window with the highest TTFT p95 among those with at least MIN_PEAK_WINDOW_SAMPLES TTFT samples; its `at` is
   * the window end. spikeRatio = peak / baseline TTFT p95.
   */
  latencySummary(bounds: { rolloutStart: number | null; rolloutEnd: number | null }): Summary['latency'] {
    this.assertFinished('latencySummary');
    const { rolloutStart, rolloutEnd } = bounds;
    const lastWindow = this.sampledWindows - 1;
    const overall = this.latencyStats(0, lastWindow);
    if (rolloutStart === null) {
      if (rolloutEnd !== null) throw new InternalError(`metrics: rollout end ${rolloutEnd}s without a start`);
      return {
        overall,
        baseline: overall,
        rollout: this.latencyStats(0, -1),
        peakWindow: { ttftP95Ms: null, at: null },
        spikeRatio: null,
      };
    }
    if (!(rolloutStart >= 0) || (rolloutEnd !== null && !(rolloutEnd >= rolloutStart))) {
      throw new InternalError(`metrics: bad rollout bounds [${rolloutStart}, ${rolloutEnd}]`);
    }
    const firstRolloutWindow = Math.floor(rolloutStart / this.windowSeconds + TIME_EPS);
    const lastRolloutWindow =
      rolloutEnd === null
        ? lastWindow
        : Math.min(lastWindow, Math.max(firstRolloutWindow, this.windowIndex(rolloutEnd)));
    const baseline = this.latencyStats(0, Math.min(firstRolloutWindow, this.sampledWindows) - 1);
    const peakWindow = this.peakTtftWindow(firstRolloutWindow, lastRolloutWindow);
    const spikeRatio =
      peakWindow.ttftP95Ms !== null && baseline.ttftP95Ms ? peakWindow.ttftP95Ms / baseline.ttftP95Ms : null;
    return {
      overall,
      baseline,
      rollout: this.latencyStats(firstRolloutWindow, lastRolloutWindow),
      peakWindow,
      spikeRatio,
    };
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

  /** Sketch buckets allocated over all windows: the part of memory that depends on the data. */
  sketchBins(): number {
    let bins = 0;
    for (const window of this.windows) bins += window.allocatedBins();
    return bins;
  }

  private windowIndex(at: number): number {
    if (!(at >= 0 && at < Infinity)) throw new InternalError(`metrics: expected a finite time ≥ 0, got ${at}`);
    return Math.max(0, Math.ceil(at / this.windowSeconds - TIME_EPS) - 1);
  }

  private windowAt(at: number): WindowStats {
    return this.window(this.windowIndex(at));
  }

  private window(index: number): WindowStats {
    while (this.windows.length <= index) this.windows.push(new WindowStats());
    return this.windows[index];
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

  private countsByCause(outcome: FailureOutcome): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [cause, column] of CAUSE_INDEX[outcome]) {
      if (this.causeTotals[column] > 0) counts[cause] = this.causeTotals[column];
    }
    return counts;
  }

  /** Sets `into` (indexed by metric) to the samples of windows first..last (none if last < first). */
  private mergeLatency(into: LatencySketches, first: number, last: number, slots: SlotRange): LatencySketches {
    for (const metric of METRICS) into[metric].clear();
    for (let w = Math.max(0, first); w <= last; w++) {
      for (const metric of METRICS) this.windows[w].mergeLatency(into[metric], metric, slots);
    }
    return into;
  }

  private latencyStats(first: number, last: number): LatencyStats {
    const latency = this.mergeLatency(newLatencySketches(), first, last, SLOTS.all);
    const stats = {} as LatencyStats;
    for (const field of SUMMARY_FIELDS) stats[field.name] = statisticMs(latency[field.metricIndex], field.statistic);
    stats.samples = latency[E2E].count;
    return stats;
  }

  private peakTtftWindow(first: number, last: number): Summary['latency']['peakWindow'] {
    const scratch = new QuantileSketch();
    let peak: Summary['latency']['peakWindow'] = { ttftP95Ms: null, at: null };
    for (let w = first; w <= last; w++) {
      scratch.clear();
      this.windows[w].mergeLatency(scratch, TTFT, SLOTS.all);
      if (scratch.count < MIN_PEAK_WINDOW_SAMPLES) continue;
      const p95Ms = statisticMs(scratch, 'p95') as number;
      if (peak.ttftP95Ms === null || p95Ms > peak.ttftP95Ms) peak = { ttftP95Ms: p95Ms, at: this.windows[w].end };
    }
    return peak;
  }
}
