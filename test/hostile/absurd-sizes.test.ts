/**
 * Absurd sizes are refused before anything is built (sim/run/size-budget.ts and the cluster bounds), with a
 * message that names the field and says what to change; realistic large runs are not.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RandomStreams } from '../../sim/engine/random.js';
import { InputError } from '../../sim/errors.js';
import { checkRunSize, MAX_EXPECTED_REQUESTS } from '../../sim/run/size-budget.js';
import { loadScenarioText } from '../../sim/scenario/load.js';
import { ScheduledArrivals } from '../../sim/traffic/arrivals.js';
import { run, scenario, type Doc } from '../validation/scenario-kit.js';

const DIR = mkdtempSync(join(tmpdir(), 'absurd-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function refusal(spec: Doc): string {
  try {
    const loaded = loadScenarioText(JSON.stringify(scenario(spec)), { baseDir: DIR });
    checkRunSize(loaded.scenario.spec, DIR);
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
  return '';
}

describe('expected arrivals of a schedule (the rate integral)', () => {
  it('integrates ramps, holds the last rate, and repeats', () => {
    const points = [
      { at: 0, rate: 10 },
      { at: 100, rate: 0 },
    ];
    const rng = new RandomStreams(1).stream('x');
    // 0→100 s ramps 10→0: 500. Without repeat the rate then stays 0.
    expect(new ScheduledArrivals(points, null, rng).expectedArrivals(1000)).toBeCloseTo(500, 9);
    // Repeating every 200 s, 100→200 ramps back 0→10: 1000 per period; at 450 s, 2 periods + 50 s at 10→5.
    expect(new ScheduledArrivals(points, 200, rng).expectedArrivals(450)).toBeCloseTo(2000 + 375, 9);
  });

  it('agrees with the arrivals the process actually draws (±2 %, 50,000 expected)', () => {
    const points = [
      { at: 0, rate: 2 },
      { at: 3600, rate: 20 },
      { at: 7200, rate: 5 },
    ];
    const process = new ScheduledArrivals(points, 86_400, new RandomStreams(7).stream('arrivals'));
    const until = 5 * 3600;
    let n = 0;
    for (let t = process.next(0); t <= until; t = process.next(t)) n++;
    const expected = process.expectedArrivals(until);
    expect(Math.abs(n / expected - 1)).toBeLessThan(0.02);
  });
});

describe('absurd sizes are refused up front', () => {
  it.each<[string, Doc, RegExp]>([
    ['1e9 requests/s', { traffic: { arrival: { poisson: { rate: '1e9/s' } } } }, /^spec\.traffic\.arrival: about 3\.00e\+11 requests would arrive in spec\.duration 300s; runs are limited to 50\.0 million requests: shorten spec\.duration to at most 0\.05s or lower the rate to at most 167000\/s on average$/],
    ['a ten-year duration', { duration: '87600h' }, /^spec\.metrics\.windowSeconds: 315 million metric windows of 1s .* raise spec\.metrics\.windowSeconds to at least 631s or shorten spec\.duration$/],
    ['a ten-year duration at 1 request/s in daily windows', { duration: '87600h', metrics: { windowSeconds: '1d' }, traffic: { arrival: { poisson: { rate: '1/s' } } } }, /^spec\.traffic\.arrival: about 315 million requests .* shorten spec\.duration to at most 579 days or lower the rate to at most 0\.159\/s on average$/],
    ['a spiky schedule', { traffic: { arrival: { poisson: undefined, schedule: { points: [{ at: '0s', rate: '1/s' }, { at: '10s', rate: '1e9/s' }, { at: '11s', rate: '1/s' }] } } } }, /^spec\.traffic\.arrival: about 5\.50e\+9 requests/],
    ['a gamma stream', { traffic: { arrival: { poisson: undefined, gamma: { rate: '1e7/s', cv: 2 } } } }, /^spec\.traffic\.arrival: about 3\.00e\+9 requests/],
  ])('%s', (_label, spec, expected) => {
    expect(refusal(spec)).toMatch(expected);
  });

  it('a looped trace replayed a million times faster', () => {
    const file = join(DIR, 'tiny.csv');
    writeFileSync(file, 'TIMESTAMP,ContextTokens,GeneratedTokens\n0,10,5\n1,10,5\n2,10,5\n');
    // 3 rows per 3 s period, sped up 1e6× ⇒ 1e6 requests/s over 300 s.
    const message = refusal({ traffic: { arrival: { poisson: undefined, trace: { file, loop: true, rateScale: 1e6 } }, promptTokens: undefined, outputTokens: undefined } });
    expect(message).toMatch(/^spec\.traffic\.arrival: about 300 million requests/);
  });

  it('a missing looped trace names the field', () => {
    const message = refusal({ traffic: { arrival: { poisson: undefined, trace: { file: 'nope.csv', loop: true } }, promptTokens: undefined, outputTokens: undefined } });
    expect(message).toMatch(/^spec\.traffic\.arrival\.trace\.file: no such file/);
  });

  it.each<[string, Doc, RegExp]>([
    ['a billion replicas', { deployment: { replicas: 1e9 } }, /spec\.deployment\.replicas: Too big/],
    ['a billion nodes', { cluster: { nodePools: [{ name: 'a', gpu: 'h100-80gb', nodes: 1e9, maxNodes: 1e9 }] } }, /spec\.cluster\.nodePools\[0\]\.nodes: expected at most 5000 nodes/],
    ['pools that together exceed 5,000 nodes', { cluster: { nodePools: [{ name: 'a', gpu: 'h100-80gb', nodes: 1, maxNodes: 3000 }, { name: 'b', gpu: 'h100-80gb', nodes: 1, maxNodes: 3000 }] } }, /spec\.cluster\.nodePools: the pools may hold more than 5000 nodes/],
    ['a billion GPUs per node', { cluster: { nodePools: [{ name: 'a', gpu: 'h100-80gb', gpusPerNode: 1e9, nodes: 1 }] } }, /spec\.cluster\.nodePools\[0\]\.gpusPerNode: expected at most 64/],
  ])('%s: refused by the schema', (_label, spec, expected) => {
    expect(refusal(spec)).toMatch(expected);
  });

  it('runScenario refuses before simulating, and a large realistic run is accepted', () => {
    expect(() => run(scenario({ traffic: { arrival: { poisson: { rate: '1e9/s' } } } }))).toThrow(InputError);
    // A week of a daily 0 → 40 → 0 req/s cycle: ~12 million requests, under the budget.
    const week = { duration: '7d', metrics: { windowSeconds: '60s' }, traffic: { arrival: { poisson: undefined, schedule: { points: [{ at: '0s', rate: '0/s' }, { at: '12h', rate: '40/s' }], repeat: 'daily' } } } };
    expect(refusal(week)).toBe('');
    expect(MAX_EXPECTED_REQUESTS).toBeGreaterThan(12e6);
  });
});
