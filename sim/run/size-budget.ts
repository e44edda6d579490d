import { resolve } from 'node:path';
import { InputError, InternalError } from '../errors.js';
import type { ScenarioSpec } from '../scenario/schema.js';
import { ScheduledArrivals } from '../traffic/arrivals.js';
import { openTrace } from '../traffic/trace.js';

/**
 * About ten minutes of computing for the LLM engine (~85,000 requests per wall second on one core): beyond it a
 * run is refused before it starts rather than left to look hung until the event or memory guard stops it.
 */
export const MAX_EXPECTED_REQUESTS = 50_000_000;
/** Series rows kept in memory (~600 bytes each): 58 days of 10 s windows. */
export const MAX_WINDOWS = 500_000;

/**
 * Refuses a scenario too large to simulate — 1e9 requests/s, a ten-year duration in 10 s windows — with a
 * message saying how large it is and what to change, before anything is built.
 */
export function checkRunSize(spec: ScenarioSpec, baseDir: string): void {
  const duration = spec.duration;
  const window = spec.metrics.windowSeconds;
  const windows = duration / window;
  if (windows > MAX_WINDOWS) {
    throw new InputError(
      `${formatCount(windows)} metric windows of ${window}s over spec.duration ${duration}s; a run keeps at most ` +
        `${formatCount(MAX_WINDOWS)}: raise spec.metrics.windowSeconds to at least ${Math.ceil(duration / MAX_WINDOWS)}s or shorten spec.duration`,
      'spec.metrics.windowSeconds',
    );
  }
  const expected = expectedRequests(spec.traffic.arrival, duration, baseDir);
  if (expected > MAX_EXPECTED_REQUESTS) {
    const share = MAX_EXPECTED_REQUESTS / expected;
    throw new InputError(
      `about ${formatCount(expected)} requests would arrive in spec.duration ${duration}s; runs are limited to ` +
        `${formatCount(MAX_EXPECTED_REQUESTS)} requests: shorten spec.duration to at most ${formatSeconds(duration * share)} ` +
        `or lower the rate to at most ${Number((MAX_EXPECTED_REQUESTS / duration).toPrecision(3))}/s on average`,
      'spec.traffic.arrival',
    );
  }
}

/** Expected arrivals over the run; a trace that is not looped is bounded by its rows, so it is not counted. */
function expectedRequests(arrival: ScenarioSpec['traffic']['arrival'], duration: number, baseDir: string): number {
  if (arrival.poisson) return arrival.poisson.rate * duration;
  if (arrival.gamma) return arrival.gamma.rate * duration;
  if (arrival.schedule) {
    const { points, repeat } = arrival.schedule;
    return new ScheduledArrivals(points, repeat ?? null, NO_DRAWS, 'spec.traffic.arrival.schedule').expectedArrivals(duration);
  }
  const trace = arrival.trace;
  if (!trace?.loop) return 0;
  const reader = openTrace(resolve(baseDir, trace.file), 'spec.traffic.arrival.trace.file');
  while (reader.nextRow());
  if (reader.rows < 2 || !(reader.time > 0)) return 0; // the replay itself reports a trace it cannot loop
  const period = reader.time + reader.time / (reader.rows - 1);
  return (reader.rows / (period * (trace.timeScale / trace.rateScale))) * duration;
}

/** Only the rate integral of a schedule is read here, never a draw. */
const NO_DRAWS = {
  next(): number {
    throw new InternalError('the size check draws no random numbers');
  },
};

function formatCount(n: number): string {
  if (n < 1e6) return Math.round(n).toLocaleString('en-US');
  return n < 1e9 ? `${(n / 1e6).toPrecision(3)} million` : n.toExponential(2);
}

function formatSeconds(s: number): string {
  if (s >= 86_400) return `${(s / 86_400).toPrecision(3)} days`;
  if (s >= 3_600) return `${(s / 3_600).toPrecision(3)} h`;
  return `${s >= 10 ? Math.floor(s) : Number(s.toPrecision(2))}s`;
}
