import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { InputError, InternalError } from '../../sim/errors.js';
import { MetricsRecorder, MIN_PEAK_WINDOW_SAMPLES } from '../../sim/metrics/recorder.js';
import type { RolloutBounds, SloTargets } from '../../sim/metrics/recorder.js';
import { SERIES_COLUMNS } from '../../sim/metrics/series.js';
import type { Request } from '../../sim/traffic/request.js';
import { makeGauges, makeRequest, servedRequest } from './fixtures.js';

const W = 10;

function recorder(slo: SloTargets = {}): MetricsRecorder {
  return new MetricsRecorder({ windowSeconds: W, slo });
}

/** Arrives and completes one request; returns it. */
function complete(rec: MetricsRecorder, arrival: number, ttft: number, decode: number, fields: Partial<Request> = {}) {
  const req = servedRequest(arrival, ttft, decode, fields);
  rec.arrived(arrival);
  rec.completed(req, req.finishedAt);
  return req;
}

function fail(rec: MetricsRecorder, at: number, outcome: 'dropped' | 'rejected' | 'timedOut', cause: string, fields: Partial<Request> = {}) {
  rec.arrived(at);
  rec.failed(makeRequest({ firstArrival: at, arrival: at, ...fields }), at, outcome, cause);
}

/** Samples every window end up to `end` (and `end` itself when it falls mid-window), then finishes. */
function finishAt(rec: MetricsRecorder, end: number, inFlight = 0): void {
  let t = W;
  for (; t <= end; t += W) rec.sample(t, makeGauges({ nodes: t }));
  if (t - W < end) rec.sample(end, makeGauges({ nodes: end }));
  rec.finish(end, inFlight);
}

const within1pct = (actual: number | null, expected: number) => {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected) / expected).toBeLessThanOrEqual(0.01);
};

describe('MetricsRecorder request accounting', () => {
  it('counts every outcome, cause, retry and dropped streamed tokens', () => {
    const rec = recorder();
    for (let i = 0; i < 6; i++) complete(rec, i, 0.2, 1);
    fail(rec, 1, 'dropped', 'sigkill', { tokensStreamed: 7 });
    fail(rec, 2, 'dropped', 'sigkill', { tokensStreamed: 5, version: 'new' });
    fail(rec, 3, 'rejected', 'no-endpoint', { version: null });
    fail(rec, 4, 'timedOut', 'ttft-timeout');
    rec.arrived(9);
    rec.retried();
    rec.retried();
    finishAt(rec, 20, 1);
    expect(rec.requestsSummary()).toEqual({
      arrived: 11,
      completed: 6,
      dropped: 2,
      rejected: 1,
      timedOut: 1,
      inFlightAtEnd: 1,
      droppedByCause: { sigkill: 2 },
      rejectedByCause: { 'no-endpoint': 1 },
      timedOutByCause: { 'ttft-timeout': 1 },
      droppedStreamedTokens: 12,
      retries: 2,
    });
  });

  it('throws when the accounting invariant is violated', () => {
    const rec = recorder();
    rec.arrived(1);
    rec.arrived(2);
    finishAt(rec, 10, 0);
    expect(() => rec.requestsSummary()).toThrow(/arrived 2 ≠ .* inFlightAtEnd 0 = 0/);
  });

  it('needs finish before the summaries', () => {
    const rec = recorder({ ttftP95: 1 });
    expect(() => rec.requestsSummary()).toThrow(InternalError);
    expect(() => rec.latencySummary()).toThrow(InternalError);
    expect(() => rec.goodput()).toThrow(InternalError);
  });

  it('refuses causes outside the unions, shadow copies, and completions without a version', () => {
    const rec = recorder();
    expect(() => rec.failed(makeRequest(), 1, 'dropped', 'no-endpoint')).toThrow(/unknown dropped cause 'no-endpoint'/);
    expect(() => rec.failed(makeRequest({ shadow: true }), 1, 'dropped', 'sigkill')).toThrow(InternalError);
    expect(() => rec.completed(servedRequest(0, 1, 1, { version: null }), 2)).toThrow(/no version/);
    expect(() => rec.completed(servedRequest(0, -1, 1), 2)).toThrow(InternalError);
  });

  it('validates its options with the field name', () => {
    expect(() => new MetricsRecorder({ windowSeconds: 0, slo: {} })).toThrow(InputError);
    expect(() => new MetricsRecorder({ slo: { tpotP95: -0.1 } })).toThrow(/slo\.tpotP95/);
    expect(new MetricsRecorder({ slo: {} }).windowSeconds).toBe(10);
  });
});

describe('MetricsRecorder windows', () => {
  it('puts events in right-closed windows and closes a short last window', () => {
    const rec = recorder();
    for (const t of [0, 5, 10]) rec.arrived(t);
    rec.arrived(10.5);
    // Arrives in window 0, first token in window 1, completes in window 2.
    const req = servedRequest(8, 4, 13, { outputTokens: 14 });
    rec.arrived(8);
    rec.completed(req, 25);
    fail(rec, 21, 'rejected', 'queue-full');
    rec.sample(10, makeGauges({ waiting: 3, kvUsage: 0.5 }));
    rec.sample(20, makeGauges({ readyNew: 2 }));
    rec.sample(25, makeGauges({ gpusAllocatable: 16 }));
    expect(() => rec.sample(30, makeGauges())).toThrow(/final window/);
    rec.finish(25, 0);

    const rows = rec.series();
    expect(rows.map((r) => [r.t, r.windowSeconds, r.arrivals, r.completed])).toEqual([
      [10, 10, 4, 0],
      [20, 10, 1, 0],
      [25, 5, 1, 1],
    ]);
    within1pct(rows[1].ttftP50Ms, 4000);
    expect(rows[2].ttftP50Ms).toBeNull();
    within1pct(rows[2].e2eP95Ms, 17000);
    within1pct(rows[2].tpotP99Ms, 1000);
    expect(rows[2].outputTokensPerSec).toBe(14 / 5);
    expect([rows[2].rejected, rows[2]['rejected:queue-full'], rows[1]['rejected:queue-full']]).toEqual([1, 1, 0]);
    expect([rows[0].waiting, rows[0].kvUsage, rows[1].readyNew, rows[2].gpusAllocatable]).toEqual([3, 0.5, 2, 16]);
    expect(Object.keys(rows[0])).toEqual(SERIES_COLUMNS);
  });

  it('skips TPOT for single-token outputs', () => {
    const rec = recorder();
    complete(rec, 1, 0.5, 0, { outputTokens: 1 });
    finishAt(rec, 10);
    expect(rec.series()[0].tpotP50Ms).toBeNull();
    expect(rec.series()[0].ttftP50Ms).not.toBeNull();
  });

  it('tolerates float noise at window ends', () => {
    const rec = new MetricsRecorder({ windowSeconds: 0.1, slo: {} });
    rec.arrived(0.1 + 0.2); // 0.30000000000000004: still the end of window 2
    for (let k = 1; k <= 3; k++) rec.sample(k * 0.1, makeGauges());
    rec.finish(3 * 0.1, 1);
    expect(rec.series().map((r) => r.arrivals)).toEqual([0, 0, 1]);
  });

  it('refuses samples off the window grid and a finish before the last sample', () => {
    const rec = recorder();
    expect(() => rec.sample(12, makeGauges())).toThrow(/expected the end of window 0/);
    expect(() => rec.sample(0, makeGauges())).toThrow(InternalError);
    expect(() => rec.sample(10, { ...makeGauges(), waiting: Number.NaN })).toThrow(/gauge waiting/);
    rec.sample(10, makeGauges());
    expect(() => rec.finish(15, 0)).toThrow(/sample the final window/);
  });

  it('refuses requests recorded after the end time', () => {
    const rec = recorder();
    rec.sample(10, makeGauges());
    rec.arrived(10.5);
    expect(() => rec.finish(10, 1)).toThrow(/after the end time/);
  });
});

describe('MetricsRecorder latency summary', () => {
  /**
   * Completions every 0.5 s: TTFT 0.1 s before t=100 and after 200, 0.5 s in between except 2 s in the window
   * ending at 160; the window ending at 180 holds only a few 10 s requests.
   */
  function rolloutRun(bounds: RolloutBounds): MetricsRecorder {
    const rec = new MetricsRecorder({ windowSeconds: W, slo: {}, rolloutBounds: () => bounds });
    for (let t = 0.5; t < 260; t += 0.5) {
      if (t > 170 && t <= 180) continue;
      const ttft = t < 100 || t >= 200 ? 0.1 : t > 150 && t <= 160 ? 2 : 0.5;
      complete(rec, t - ttft, ttft, 0, { outputTokens: 1 });
    }
    // A near-idle window with a few very slow requests must not count as the peak.
    for (let i = 0; i < MIN_PEAK_WINDOW_SAMPLES - 1; i++) complete(rec, 165, 10, 0, { outputTokens: 1 });
    finishAt(rec, 260);
    return rec;
  }

  it('splits baseline and rollout and finds the peak window', () => {
    const latency = rolloutRun({ rolloutStart: 100, rolloutEnd: 200 }).latencySummary();
    within1pct(latency.baseline.ttftP95Ms, 100);
    within1pct(latency.baseline.ttftP50Ms, 100);
    // Windows ending at or before t=100: completions at 0.5, 1, …, 100.
    expect(latency.baseline.samples).toBe(200);
    within1pct(latency.rollout.ttftP50Ms, 500);
    expect(latency.rollout.samples).toBe(180 + MIN_PEAK_WINDOW_SAMPLES - 1);
    expect(latency.overall.samples).toBe(499 + MIN_PEAK_WINDOW_SAMPLES - 1);
    within1pct(latency.peakWindow.ttftP95Ms, 2000);
    expect(latency.peakWindow.at).toBe(160);
    within1pct(latency.spikeRatio, 20);
    within1pct(latency.overall.ttftMeanMs, (319 * 100 + 20 * 2000 + 160 * 500 + 4 * 10_000) / 503);
  });

  it('gives the window holding the rollout start to the rollout', () => {
    const latency = rolloutRun({ rolloutStart: 95, rolloutEnd: 200 }).latencySummary();
    expect(latency.baseline.samples).toBe(180);
  });

  it('runs the rollout to the end of the run while it has not ended', () => {
    const latency = rolloutRun({ rolloutStart: 100, rolloutEnd: null }).latencySummary();
    expect(latency.rollout.samples).toBe(299 + MIN_PEAK_WINDOW_SAMPLES - 1);
  });

  it('treats a run without rollout as all baseline', () => {
    const latency = rolloutRun({ rolloutStart: null, rolloutEnd: null }).latencySummary();
    expect(latency.baseline).toEqual(latency.overall);
    expect(latency.rollout.samples).toBe(0);
    expect(latency.rollout.ttftP95Ms).toBeNull();
    expect(latency.spikeRatio).toBeNull();
    expect(latency.peakWindow).toEqual({ ttftP95Ms: null, at: null });
  });
});

describe('MetricsRecorder goodput', () => {
  it('is the share of finished requests within every SLO limit', () => {
    const rec = recorder({ ttftP95: 1, tpotP95: 0.05 });
    complete(rec, 0, 0.5, 0.4, { outputTokens: 11 }); // TPOT 40 ms: meets
    complete(rec, 1, 0.5, 0, { outputTokens: 1 }); // no TPOT: meets
    complete(rec, 2, 0.5, 1, { outputTokens: 11 }); // TPOT 100 ms: misses
    complete(rec, 3, 1.5, 0.1, { outputTokens: 11 }); // TTFT misses
    fail(rec, 4, 'timedOut', 'total-timeout'); // failures miss
    rec.arrived(5); // still in flight: not counted
    finishAt(rec, 10, 1);
    expect(rec.goodput().sloAttainment).toBeCloseTo(2 / 5, 12);
  });

  it('is null without an SLO', () => {
    const rec = recorder();
    complete(rec, 0, 0.5, 0.4);
    finishAt(rec, 10);
    expect(rec.goodput().sloAttainment).toBeNull();
  });
});

describe('MetricsRecorder query', () => {
  it('separates versions and includes every window overlapping the range', () => {
    const rec = recorder();
    complete(rec, 5, 0.1, 1, { version: 'old' }); // completes in window 0
    complete(rec, 12, 0.3, 1, { version: 'new' }); // window 1
    complete(rec, 14, 0.3, 1, { version: 'new' });
    fail(rec, 15, 'dropped', 'crash', { version: 'new' });
    fail(rec, 16, 'rejected', 'no-endpoint', { version: null });
    complete(rec, 25, 0.2, 1, { version: 'old' }); // window 2

    const newer = rec.query('new', 10, 20);
    expect([newer.completed, newer.dropped, newer.rejected, newer.finished]).toEqual([2, 1, 0, 3]);
    expect(newer.errorRate).toBeCloseTo(1 / 3, 12);
    within1pct(newer.ttft.quantile(0.5), 0.3);
    expect(newer.tpot.count).toBe(2);

    const all = rec.query('all', 15, 25);
    expect([all.completed, all.dropped, all.rejected]).toEqual([3, 1, 1]);
    expect(rec.query('old', 15, 25).completed).toBe(1);
    // Window 0 overlaps [0, 5) and is taken whole, with the completion at 6.1.
    expect(rec.query('old', 0, 5).e2e.count).toBe(1);
    expect(rec.query('old', 10, 20).e2e.count).toBe(0);
  });

  it('reports null error rate for an empty range', () => {
    const rec = recorder();
    const empty = rec.query('all', 0, 30);
    expect([empty.finished, empty.errorRate, empty.ttft.quantile(0.95)]).toEqual([0, null, null]);
  });
});

describe('MetricsRecorder memory', () => {
  it('stays flat in the number of requests (sketch buckets, 1e6 requests)', () => {
    const rec = recorder();
    const rng = seedrandom('memory');
    const windows = 100;
    const req = makeRequest({ outputTokens: 50 });
    const record = (version: 'old' | 'new', arrival: number, ttft: number, decode: number) => {
      req.version = version;
      req.firstArrival = arrival;
      req.arrival = arrival;
      req.firstTokenAt = arrival + ttft;
      req.finishedAt = req.firstTokenAt + decode;
      rec.arrived(arrival);
      rec.completed(req, req.finishedAt);
    };
    // Show every window and version the extremes first (TTFT 0.05..1 s, decode 0.5..1.5 s) ...
    for (let w = 0; w < windows; w++) {
      for (const version of ['old', 'new'] as const) {
        record(version, w * W + 0.5, 0.05, 0.5);
        record(version, w * W + 0.5, 1, 1.5);
      }
    }
    const bins = rec.sketchBins();
    // ... then a million requests inside that range must not add a single bucket.
    for (let i = 0; i < 1_000_000; i++) {
      record(i % 2 === 0 ? 'old' : 'new', rng() * (windows * W - 3), 0.05 + 0.95 * rng(), 0.5 + rng());
    }
    expect(rec.sketchBins()).toBe(bins);
    // 100 windows × 2 versions × 3 metrics, each spanning under 256 buckets (TTFT: ln(20)/ln(γ) ≈ 150).
    expect(bins).toBeLessThanOrEqual(windows * 6 * 256);
    for (let t = W; t <= windows * W; t += W) rec.sample(t, makeGauges());
    rec.finish(windows * W, 0);
    expect(rec.requestsSummary().completed).toBe(1_000_000 + windows * 4);
    expect(rec.series()).toHaveLength(windows);
  });
});
