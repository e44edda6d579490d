import seedrandom from 'seedrandom';
import type { MetricsRecorder } from '../../sim/metrics/recorder.js';
import type { Request } from '../../sim/traffic/request.js';
import { makeGauges, makeRequest } from './fixtures.js';

export const W = 10;

/** One outcome report, at its time. */
export interface SyntheticEvent {
  at: number;
  /** An arrival, or the request's final outcome. */
  kind: 'arrived' | 'completed' | 'dropped' | 'rejected' | 'timedOut';
  req: Request;
  /** Reported right after the sample at its (window end) time rather than before. */
  afterSample: boolean;
}

const CAUSES = { dropped: 'sigkill', rejected: 'queue-full', timedOut: 'total-timeout' } as const;

/**
 * Traffic of `perWindow` requests per window over `windows` windows, as the client layer would report it:
 * arrivals, completions with TTFT up to seconds and decode up to `maxDecode` (so first tokens and completions
 * land windows after the arrival), one failure in ten, some still in flight at the end, and a few reports at
 * exactly a window end, after its sample. Sorted by time.
 */
export function syntheticEvents(windows: number, perWindow: number, maxDecode: number, seed: string): SyntheticEvent[] {
  const rng = seedrandom(seed);
  const end = windows * W;
  const events: SyntheticEvent[] = [];
  for (let i = 0; i < windows * perWindow; i++) {
    const arrival = rng() * end;
    const version = rng() < 0.5 ? 'old' : 'new';
    events.push({ at: arrival, kind: 'arrived', req: makeRequest({ firstArrival: arrival, arrival }), afterSample: false });
    if (rng() < 0.1) {
      const kinds = ['dropped', 'rejected', 'timedOut'] as const;
      const kind = kinds[Math.floor(rng() * kinds.length)];
      // Some at exactly the next window end, reported after its sample.
      const atEnd = rng() < 0.3;
      const at = atEnd ? Math.ceil(arrival / W + 1e-9) * W : arrival + rng() * 3;
      if (at > end) continue;
      const req = makeRequest({ firstArrival: arrival, arrival, version, tokensStreamed: kind === 'dropped' ? 3 : 0 });
      events.push({ at, kind, req, afterSample: atEnd });
      continue;
    }
    const firstTokenAt = arrival + 0.05 + -Math.log(1 - rng()) * 0.5;
    const finishedAt = firstTokenAt + rng() * maxDecode;
    if (finishedAt > end) continue;
    const outputTokens = 1 + Math.floor(rng() * 200);
    const req = makeRequest({ firstArrival: arrival, arrival, version, firstTokenAt, finishedAt, outputTokens });
    events.push({ at: finishedAt, kind: 'completed', req, afterSample: false });
  }
  return events.sort((a, b) => a.at - b.at);
}

export function report(rec: MetricsRecorder, e: SyntheticEvent): void {
  if (e.kind === 'arrived') rec.arrived(e.at);
  else if (e.kind === 'completed') rec.completed(e.req, e.at);
  else rec.failed(e.req, e.at, e.kind, CAUSES[e.kind]);
}

/** Gauges that change from window to window, so merged points show their max, min and sum. */
export const gaugesAt = (t: number) =>
  makeGauges({
    waiting: (t * 7) % 13,
    readyOld: 16 - ((t / W) % 5),
    kvUsage: ((t * 3) % 10) / 10,
    nodes: 10,
    prefixQueryTokens: 1000,
    prefixHitTokens: (t * 37) % 1000,
  });

/**
 * Feeds the events to `rec` as a run would (in time order, a sample at every window end) and finishes with the
 * requests still in flight. `afterSample(t)` runs after each sample.
 */
export function drive(rec: MetricsRecorder, events: readonly SyntheticEvent[], windows: number, afterSample?: (t: number) => void): void {
  let next = 0;
  let finished = 0;
  let arrived = 0;
  const count = (e: SyntheticEvent) => {
    report(rec, e);
    if (e.kind === 'arrived') arrived++;
    else finished++;
  };
  const held: SyntheticEvent[] = [];
  for (let k = 1; k <= windows; k++) {
    const t = k * W;
    while (next < events.length && (events[next].at < t || (events[next].at === t && !events[next].afterSample))) count(events[next++]);
    while (next < events.length && events[next].at === t) held.push(events[next++]);
    rec.sample(t, gaugesAt(t));
    for (const e of held.splice(0)) count(e);
    afterSample?.(t);
  }
  rec.finish(windows * W, arrived - finished);
}

/** The same events recorded all at once, then every sample: nothing can close before the end. */
export function recordAllThenSample(rec: MetricsRecorder, events: readonly SyntheticEvent[], windows: number): void {
  let finished = 0;
  for (const e of events) {
    report(rec, e);
    if (e.kind !== 'arrived') finished++;
  }
  for (let k = 1; k <= windows; k++) rec.sample(k * W, gaugesAt(k * W));
  rec.finish(windows * W, events.length - 2 * finished);
}
