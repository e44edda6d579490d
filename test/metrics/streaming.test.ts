import { describe, expect, it } from 'vitest';
import { InternalError } from '../../sim/errors.js';
import { MAX_SERIES_POINTS, windowsPerPoint } from '../../sim/metrics/display-series.js';
import { statisticMs } from '../../sim/metrics/latency-fields.js';
import { MetricsRecorder } from '../../sim/metrics/recorder.js';
import type { MetricsRecorderOptions, RolloutBounds } from '../../sim/metrics/recorder.js';
import { CAUSE_COLUMNS, GAUGE_FIELDS, GAUGES, SERIES_LATENCY_FIELDS } from '../../sim/metrics/series.js';
import type { SeriesRow } from '../../sim/metrics/series.js';
import { QuantileSketch } from '../../sim/metrics/sketch.js';
import { makeGauges, servedRequest } from './fixtures.js';
import { drive, recordAllThenSample, syntheticEvents, W } from './synthetic.js';
import type { SyntheticEvent } from './synthetic.js';

const ROLLOUT: RolloutBounds = { rolloutStart: 300, rolloutEnd: 620 };

function recorder(options: Partial<MetricsRecorderOptions> = {}): MetricsRecorder {
  return new MetricsRecorder({ windowSeconds: W, slo: { ttftP95: 1 }, rolloutBounds: () => ROLLOUT, ...options });
}

/** Window of a time, right-closed as the recorder's. */
const windowOf = (t: number) => Math.max(0, Math.ceil(t / W - 1e-9) - 1);

/** The raw latency samples (seconds) of each window, as the recorder should have filed them. */
function samplesByWindow(events: readonly SyntheticEvent[], windows: number) {
  const byWindow = Array.from({ length: windows }, () => ({ ttft: [] as number[], tpot: [] as number[], e2e: [] as number[] }));
  for (const { kind, req, at } of events) {
    if (kind !== 'completed') continue;
    byWindow[windowOf(req.firstTokenAt)].ttft.push(req.firstTokenAt - req.firstArrival);
    byWindow[windowOf(at)].e2e.push(req.finishedAt - req.firstArrival);
    if (req.outputTokens > 1) byWindow[windowOf(at)].tpot.push((req.finishedAt - req.firstTokenAt) / (req.outputTokens - 1));
  }
  return byWindow;
}

describe('MetricsRecorder closing windows as they become final', () => {
  const windows = 95;
  // Decodes up to 45 s: a TTFT often lands windows after the arrival, and completions several windows later.
  const events = syntheticEvents(windows, 40, 45, 'streaming');

  it('streams every window row, in order, equal to the rows of a recorder that closes nothing before the end', () => {
    const streamed: SeriesRow[] = [];
    const rec = recorder({ onWindow: (row) => streamed.push(row) });
    drive(rec, events, windows);
    const reference = recorder();
    recordAllThenSample(reference, events, windows);
    expect(streamed).toHaveLength(windows);
    expect(streamed).toEqual(reference.series());
    expect(rec.series()).toEqual(streamed);
    expect(rec.latencySummary()).toEqual(reference.latencySummary());
    expect(rec.requestsSummary()).toEqual(reference.requestsSummary());
    expect(rec.goodput()).toEqual(reference.goodput());
  });

  it('holds a window until every request that arrived in it or before has finished', () => {
    const closed: number[] = [];
    const rec = recorder({ onWindow: (row) => closed.push(row.t) });
    // Arrives in window 0, first token in window 3, completes in window 5.
    const slow = servedRequest(5, 30, 20);
    rec.arrived(5);
    rec.arrived(12); // window 1, finishes at once
    rec.completed(servedRequest(12, 0.1, 0.1), 12.2);
    for (let t = W; t <= 50; t += W) rec.sample(t, makeGauges());
    expect(closed).toEqual([]);
    rec.completed(slow, 55);
    rec.sample(60, makeGauges());
    // Window 5 (ending at 60) was just sampled: a report at t=60 may still come.
    expect(closed).toEqual([10, 20, 30, 40, 50]);
    expect(() => rec.arrived(50)).toThrow(/window 4, which has closed/);
    rec.finish(60, 0);
    expect(closed).toEqual([10, 20, 30, 40, 50, 60]);
    expect(rec.series()[3].ttftP50Ms).not.toBeNull();
  });

  it('refuses rollout bounds that change after windows closed', () => {
    let bounds: RolloutBounds = { rolloutStart: null, rolloutEnd: null };
    const rec = recorder({ rolloutBounds: () => bounds });
    for (let t = W; t <= 100; t += W) rec.sample(t, makeGauges());
    bounds = { rolloutStart: 20, rolloutEnd: null };
    rec.finish(100, 0);
    expect(() => rec.latencySummary()).toThrow(/changed after windows closed/);
  });
});

describe('the display series of a long run', () => {
  const windows = 95;
  const events = syntheticEvents(windows, 40, 45, 'display');

  it('keeps every window as it is when the run fits in the point budget', () => {
    const rec = recorder({ duration: windows * W, maxSeriesPoints: windows });
    const reference = recorder();
    drive(rec, events, windows);
    drive(reference, events, windows);
    expect(rec.series()).toEqual(reference.series());
  });

  it('merges adjacent windows: counts add, gauges take max or min, quantiles come from the merged samples', () => {
    const perWindow: SeriesRow[] = [];
    // 95 windows in at most 10 points: 10 windows per point, the last point holding 5.
    const rec = recorder({ duration: windows * W, maxSeriesPoints: 10, onWindow: (row) => perWindow.push(row) });
    drive(rec, events, windows);
    const points = rec.series();
    expect(points.map((p) => p.t)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 950]);
    const samples = samplesByWindow(events, windows);
    points.forEach((point, p) => {
      const rows = perWindow.slice(p * 10, p * 10 + 10);
      const sum = (pick: (row: SeriesRow) => number) => rows.reduce((total, row) => total + pick(row), 0);
      expect(point.windowSeconds).toBe(sum((r) => r.windowSeconds));
      for (const column of ['arrivals', 'completed', 'dropped', 'rejected', 'timedOut', ...CAUSE_COLUMNS] as const) {
        expect(point[column]).toBe(sum((r) => r[column]));
      }
      expect(point.outputTokensPerSec).toBeCloseTo(sum((r) => r.outputTokensPerSec * r.windowSeconds) / point.windowSeconds, 9);
      for (const field of GAUGE_FIELDS) {
        const values = rows.map((r) => r[field]);
        const merge = GAUGES[field];
        expect(point[field]).toBe(merge === 'sum' ? sum((r) => r[field]) : merge === 'min' ? Math.min(...values) : Math.max(...values));
      }
      expect(point.prefixHitRate).toBe(point.prefixQueryTokens > 0 ? point.prefixHitTokens / point.prefixQueryTokens : null);
      for (const field of SERIES_LATENCY_FIELDS) {
        const direct = new QuantileSketch();
        const values = rows.flatMap((_, i) => samples[p * 10 + i][field.metric]);
        for (const v of values) direct.add(v);
        // Merging sketches loses nothing: the point's quantile is the one of all its samples in one sketch ...
        expect(point[field.name]).toBe(statisticMs(direct, field.statistic));
        // ... which is within the sketch's 1% of the exact order statistic.
        const sorted = values.sort((a, b) => a - b);
        const q = Number(field.statistic.slice(1)) / 100;
        const exact = sorted[Math.floor(q * (sorted.length - 1))] * 1000;
        expect(Math.abs((point[field.name] as number) - exact)).toBeLessThanOrEqual(0.01 * exact);
      }
    });
  });

  it('leaves the summary as it is', () => {
    const merged = recorder({ duration: windows * W, maxSeriesPoints: 7, queryReach: 0 });
    const reference = recorder();
    drive(merged, events, windows);
    recordAllThenSample(reference, events, windows);
    expect(merged.latencySummary()).toEqual(reference.latencySummary());
    const overall = new QuantileSketch();
    for (const window of samplesByWindow(events, windows)) for (const v of window.ttft) overall.add(v);
    expect(merged.latencySummary().overall.ttftP95Ms).toBe(statisticMs(overall, 'p95'));
  });

  it('has at most MAX_SERIES_POINTS points for any length', () => {
    expect(windowsPerPoint(720, MAX_SERIES_POINTS)).toBe(1);
    expect(windowsPerPoint(2000, MAX_SERIES_POINTS)).toBe(1);
    expect(windowsPerPoint(2001, MAX_SERIES_POINTS)).toBe(2);
    for (const windows of [8640, 60_480, 500_000]) {
      expect(Math.ceil(windows / windowsPerPoint(windows, MAX_SERIES_POINTS))).toBeLessThanOrEqual(MAX_SERIES_POINTS);
    }
  });
});

describe('MetricsRecorder memory over a long run', () => {
  it('holds a bounded number of windows and points, however many windows pass', () => {
    const windows = 6000;
    const events = syntheticEvents(windows, 3, 15, 'long');
    const rec = recorder({ duration: windows * W, queryReach: 60 });
    let mostHeld = 0;
    drive(rec, events, windows, () => (mostHeld = Math.max(mostHeld, rec.heldWindows())));
    // The 60 s reach (6 windows), a slack window, and the windows whose requests are still in flight.
    expect(mostHeld).toBeLessThanOrEqual(12);
    expect(rec.series().length).toBeLessThanOrEqual(MAX_SERIES_POINTS);
    expect(rec.series().at(-1)?.t).toBe(windows * W);

    // Without a reach every window stays queryable, so every window stays.
    const keepsAll = recorder({ duration: windows * W });
    drive(keepsAll, events, windows);
    expect(keepsAll.heldWindows()).toBe(windows);
  });

  it('answers every query within the reach as a recorder that keeps everything, and refuses older ones', () => {
    const windows = 200;
    const events = syntheticEvents(windows, 20, 15, 'reach');
    const rec = recorder({ queryReach: 60 });
    const keepsAll = recorder();
    const answers: [unknown, unknown][] = [];
    const ask = (r: MetricsRecorder, t: number) => {
      const q = r.query(t % 3 === 0 ? 'all' : t % 3 === 1 ? 'old' : 'new', Math.max(0, t - 60), t);
      return { ...q, ttft: [q.ttft.count, q.ttft.mean, q.ttft.quantile(0.95)], e2e: [q.e2e.count, q.e2e.quantile(0.5)], tpot: q.tpot.sum };
    };
    const mine: unknown[] = [];
    drive(rec, events, windows, (t) => mine.push(ask(rec, t)));
    drive(keepsAll, events, windows, (t) => answers.push([mine[answers.length], ask(keepsAll, t)]));
    for (const [a, b] of answers) expect(a).toEqual(b);
    expect(() => rec.query('all', 0, 60)).toThrow(InternalError);
  });

  it('keeps a mirror recorder to telemetry: old windows let go, late reports into them ignored', () => {
    const mirrors = new MetricsRecorder({ windowSeconds: W, slo: {}, mirrors: true, queryReach: 30 });
    const copy = servedRequest(5, 0.2, 1, { shadow: true });
    mirrors.arrived(5);
    for (let t = W; t <= 100; t += W) mirrors.sample(t, makeGauges());
    expect(mirrors.heldWindows()).toBeLessThanOrEqual(5);
    mirrors.completed({ ...copy, finishedAt: 95 }, 95);
    expect(mirrors.query('all', 70, 100).completed).toBe(1);
    mirrors.finish(100, 0);
    expect(() => mirrors.series()).toThrow(/telemetry only/);
    expect(() => mirrors.latencySummary()).toThrow(/telemetry only/);
  });
});
