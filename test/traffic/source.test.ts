import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../sim/engine/random.js';
import { Simulator } from '../../sim/engine/simulator.js';
import { formatIssues } from '../../sim/config/issues.js';
import type { RequestTarget } from '../../sim/traffic/clients.js';
import { zTraffic } from '../../sim/traffic/config.js';
import type { Request } from '../../sim/traffic/request.js';
import { TrafficSource } from '../../sim/traffic/source.js';
import { RecordingListener } from './fakes.js';

const dir = mkdtempSync(join(tmpdir(), 'source-test-'));
writeFileSync(join(dir, 'mini.csv'), 'TIMESTAMP,ContextTokens,GeneratedTokens\n0,300,30\n0.5,5000,7\n2,0,12\n');

function problems(input: unknown): string[] {
  const result = zTraffic.safeParse(input);
  return result.success ? [] : formatIssues(result.error.issues, input);
}

/** Accepts every attempt and completes it at once; remembers what it saw. */
class InstantServer implements RequestTarget {
  seen: Request[] = [];
  constructor(private readonly source: () => TrafficSource) {}
  accept(req: Request): void {
    this.seen.push(req);
    this.source().client.completed(req, req.arrival);
  }
  cancel(): void {}
}

function run(input: unknown, until: number, seed = 5) {
  const sim = new Simulator();
  const listener = new RecordingListener();
  const source = new TrafficSource(sim, new RandomStreams(seed), zTraffic.parse(input), listener, dir);
  const server = new InstantServer(() => source);
  source.start(server);
  sim.run(until);
  return { sim, listener, source, seen: server.seen };
}

const POISSON = {
  arrival: { poisson: { rate: '40/s' } },
  promptTokens: { lognormal: { p50: 1020, p90: 2735 } },
  outputTokens: 200,
};

describe('zTraffic', () => {
  it('parses units and fills the client defaults', () => {
    const parsed = zTraffic.parse({
      ...POISSON,
      client: { ttftTimeout: '30s', retries: { max: 2 } },
      arrival: { schedule: { points: [{ at: '0s', rate: '10/s' }, { at: '30m', rate: '2400/min' }], repeat: 'daily' } },
    });
    expect(parsed.arrival).toEqual({ schedule: { points: [{ at: 0, rate: 10 }, { at: 1800, rate: 40 }], repeat: 86400 } });
    expect(parsed.client).toEqual({
      ttftTimeout: 30,
      retries: { max: 2, on: ['rejected', 'dropped', 'timedOut'], backoff: { base: 1, max: 30, jitter: 0.2 } },
    });
  });

  it('needs length distributions unless the arrivals come from a trace', () => {
    expect(problems({ arrival: { poisson: { rate: 5 } } })).toEqual([
      'promptTokens: missing; a distribution is required unless the arrival is a trace (got nothing)',
      'outputTokens: missing; a distribution is required unless the arrival is a trace (got nothing)',
    ]);
    expect(problems({ arrival: { trace: { file: 'mini.csv' } } })).toEqual([]);
  });

  it('points at the bad field', () => {
    expect(problems({ ...POISSON, arrival: { gamma: { rate: '5/s', cv: -1 } } })[0]).toMatch(/^arrival\.gamma\.cv/);
    expect(problems({ ...POISSON, arrival: { poisson: { rate: 'fast' } } })[0]).toMatch(/^arrival\.poisson\.rate: .*is not a rate/);
    expect(problems({ ...POISSON, arrival: { uniform: {} } })).toContain(
      'arrival: unknown field "uniform" (check the spelling; `rollout-sim schema` lists every field)',
    );
    expect(problems({ ...POISSON, arrival: { poisson: { rate: 1 }, gamma: { rate: 1, cv: 2 } } })[0]).toMatch(
      /^arrival: expected only one of poisson, gamma, schedule, trace, not poisson and gamma/,
    );
    expect(problems({ ...POISSON, arrival: {} })[0]).toMatch(/^arrival: expected one of poisson, gamma, schedule, trace/);
    expect(problems({ ...POISSON, client: { retries: { max: 1, on: ['crashed'] } } })[0]).toMatch(/^client\.retries\.on\[0\]/);
  });
});

describe('TrafficSource', () => {
  it('offers the configured rate through the client layer, one pending arrival at a time', () => {
    const { sim, listener, seen } = run(POISSON, 500);
    expect(Math.abs(listener.arrivals.length / 500 / 40 - 1)).toBeLessThan(0.03);
    expect(listener.finals.length).toBe(listener.arrivals.length);
    expect(seen.every((r) => r.outputTokens === 200 && Number.isInteger(r.promptTokens) && r.promptTokens >= 1)).toBe(true);
    expect(sim.pending).toBe(1);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = run(POISSON, 20, 1).seen.map((r) => [r.arrival, r.promptTokens]);
    expect(run(POISSON, 20, 1).seen.map((r) => [r.arrival, r.promptTokens])).toEqual(a);
    expect(run(POISSON, 20, 2).seen.map((r) => [r.arrival, r.promptTokens])).not.toEqual(a);
  });

  it("replays a trace with its rows' lengths by default, clipped to max", () => {
    const { seen, sim } = run({ arrival: { trace: { file: 'mini.csv', rateScale: 2 } }, maxPromptTokens: 4096 }, 100);
    expect(seen.map((r) => [r.arrival, r.promptTokens, r.outputTokens])).toEqual([
      [0, 300, 30],
      [0.25, 4096, 7],
      [1, 1, 12],
    ]);
    expect(sim.pending).toBe(0);
  });

  it('samples lengths from a trace column (empirical) with a trace-free arrival process', () => {
    const { seen } = run(
      { arrival: { poisson: { rate: 50 } }, promptTokens: { empirical: { file: 'mini.csv', column: 'ContextTokens' } }, outputTokens: 5 },
      20,
    );
    expect(new Set(seen.map((r) => r.promptTokens))).toEqual(new Set([300, 5000, 1]));
  });

  it('assigns prefix groups to the configured share', () => {
    const { seen } = run({ ...POISSON, prefix: { share: 0.6, groups: 20, prefixTokens: 800, popularity: { zipf: 1.1 } } }, 100);
    const grouped = seen.filter((r) => r.prefixGroup >= 0);
    expect(Math.abs(grouped.length / seen.length - 0.6)).toBeLessThan(0.03);
    expect(grouped.every((r) => r.prefixTokens === Math.min(800, r.promptTokens))).toBe(true);
    expect(seen.filter((r) => r.prefixGroup < 0).every((r) => r.prefixTokens === 0)).toBe(true);
  });
});

describe('traffic.requests', () => {
  it('stops arrivals after N requests with every arrival process', () => {
    const kinds = [
      { poisson: { rate: '40/s' } },
      { gamma: { rate: '40/s', cv: 2 } },
      { schedule: { points: [{ at: '0s', rate: '10/s' }, { at: '1s', rate: '50/s' }] } },
    ];
    for (const arrival of kinds) {
      const { seen, source } = run({ ...POISSON, arrival, requests: 50 }, 3600);
      expect(seen.length, JSON.stringify(arrival)).toBe(50);
      expect(source.describe()).toContain('(first 50 requests)');
    }
  });

  it('reads a trace no further than the last request it sends, looped or not', () => {
    const once = run({ arrival: { trace: { file: 'mini.csv' } }, requests: 2 }, 3600);
    expect(once.seen.map((r) => r.promptTokens)).toEqual([300, 5000]);
    const looped = run({ arrival: { trace: { file: 'mini.csv', loop: true } }, requests: 7 }, 3600);
    expect(looped.seen.map((r) => r.promptTokens)).toEqual([300, 5000, 1, 300, 5000, 1, 300]);
    // Row 3 is malformed: never read when the second request is the last.
    writeFileSync(join(dir, 'bad-tail.csv'), 'TIMESTAMP,ContextTokens,GeneratedTokens\n0,300,30\n0.5,5000,7\n1,x,12\n');
    expect(run({ arrival: { trace: { file: 'bad-tail.csv' } }, requests: 2 }, 3600).seen).toHaveLength(2);
    expect(() => run({ arrival: { trace: { file: 'bad-tail.csv' } }, requests: 3 }, 3600)).toThrow(/line 4, column ContextTokens/);
    // Fewer rows than requests: the trace ends first.
    expect(run({ arrival: { trace: { file: 'mini.csv' } }, requests: 10 }, 3600).seen).toHaveLength(3);
  });

  it('refuses a count that is not a whole number of at least 1, naming the field', () => {
    expect(problems({ ...POISSON, requests: 0 }).join('\n')).toMatch(/requests/);
    expect(problems({ ...POISSON, requests: 2.5 }).join('\n')).toMatch(/requests/);
    expect(problems({ ...POISSON, requests: '50' }).join('\n')).toMatch(/requests/);
  });
});
