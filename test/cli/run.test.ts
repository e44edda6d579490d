import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = 'dist/sim/cli/main.js';
/** The built-in scenario made small: 4 replicas, 10 req/s, 6 simulated minutes, no assertions of its own. */
const SHORT = [
  '--set', 'spec.duration=6m',
  '--set', 'spec.rollout.at=1m',
  '--set', 'spec.deployment.replicas=4',
  '--set', 'spec.traffic.arrival.poisson.rate=10/s',
  '--set', 'spec.assertions=[]',
];

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function withoutWallTime(json: string): string {
  const summary = JSON.parse(json);
  delete summary.engine.wallSeconds;
  return JSON.stringify(summary);
}

describe('rollout-sim run', () => {
  it('prints only the summary JSON on stdout with --json and exits 0 when every assertion holds', () => {
    const r = cli(['run', 'scenarios/llama-70b-rolling.yaml', '--json', ...SHORT, '--set', 'spec.assertions=["requests.arrived > 0"]']);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(Object.keys(summary)).toEqual([
      'scenario', 'strategy', 'seed', 'simulatedSeconds', 'requests', 'latency', 'rollout', 'capacity', 'startup', 'prefixCache', 'goodput', 'risk', 'gateway', 'engine',
    ]);
    const q = summary.requests;
    expect(q.arrived).toBe(q.completed + q.dropped + q.rejected + q.timedOut + q.inFlightAtEnd);
    expect(summary.strategy).toBe('rollingUpdate');
  });

  it('gives byte-identical summaries for the same seed (apart from wall time) and different ones for another seed', () => {
    const a = cli(['run', 'scenarios/llama-70b-rolling.yaml', '--json', ...SHORT]);
    const b = cli(['run', 'scenarios/llama-70b-rolling.yaml', '--json', ...SHORT]);
    const c = cli(['run', 'scenarios/llama-70b-rolling.yaml', '--json', ...SHORT, '--seed', '8']);
    expect(withoutWallTime(a.stdout)).toBe(withoutWallTime(b.stdout));
    expect(withoutWallTime(c.stdout)).not.toBe(withoutWallTime(a.stdout));
    expect(JSON.parse(c.stdout).seed).toBe(8);
  });

  it('exits 1 when an assertion is false, naming it and the measured value', () => {
    const r = cli(['run', 'scenarios/llama-70b-rolling.yaml', ...SHORT, '--set', 'spec.assertions=["requests.arrived < 0"]']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}requests\.arrived < 0 \(requests\.arrived = \d+\)/);
  });

  it('exits 2 when an assertion names a field that does not exist (never a silent pass)', () => {
    const r = cli(['run', 'scenarios/llama-70b-rolling.yaml', ...SHORT, '--set', 'spec.assertions=["requests.dropd == 0"]']);
    expect(r.code).toBe(2);
    // Refused when the scenario loads, before a second of simulation is spent.
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/spec\.assertions\[0\]: unknown field "requests\.dropd": "requests" has no field "dropd"/);
  });

  it('exits 2 with the field path and no stack trace for a malformed or wrong-typed scenario', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollout-sim-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync('scenarios/llama-70b-rolling.yaml', 'utf8').replace('replicas: 16', 'replicas: sixteen'));
    const r = cli(['run', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('spec.deployment.replicas');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const syntax = join(dir, 'syntax.yaml');
    writeFileSync(syntax, 'spec: [unclosed');
    expect(cli(['run', syntax]).code).toBe(2);
    expect(cli(['run', join(dir, 'missing.yaml')]).stderr).toMatch(/no such scenario file/);
    expect(cli(['run', 'scenarios/llama-70b-rolling.yaml', '--set', 'spec.duration=-5s']).code).toBe(2);
    expect(cli(['run']).code).toBe(2);
    expect(cli(['frobnicate']).code).toBe(2);
  });

  it('writes the output folder', () => {
    const out = mkdtempSync(join(tmpdir(), 'rollout-sim-out-'));
    const r = cli(['run', 'scenarios/llama-70b-rolling.yaml', ...SHORT, '--out', out, '--requests', '--no-svg']);
    expect(r.code).not.toBe(3);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.scenario).toBe('llama-70b-rolling');
    const csv = readFileSync(join(out, 'timeseries.csv'), 'utf8').split('\n');
    expect(csv[0]).toMatch(/^t,windowSeconds,/);
    expect(csv.length).toBeGreaterThan(30);
    expect(readFileSync(join(out, 'events.csv'), 'utf8')).toMatch(/Created/);
    expect(readFileSync(join(out, 'requests.csv'), 'utf8').split('\n').length).toBeGreaterThan(100);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<html');
  });
});

describe('other commands', () => {
  it('validate prints the hash; schema prints a JSON Schema', () => {
    const v = cli(['validate', 'scenarios/llama-70b-rolling.yaml']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/valid \(hash [0-9a-f]{12}\)/);
    const s = cli(['schema']);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout).properties.spec).toBeDefined();
  });

  it('estimate prints the serving and start-up figures as JSON', () => {
    const r = cli(['estimate', '--model', 'llama-3.1-70b', '--gpu', 'h100-80gb', '--tp', '4', '--batch', '32', '--context', '2048', '--prompt', '1024', '--json']);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout);
    for (const key of ['weightBytes', 'kvBytesPerToken', 'kvCacheTokens', 'decodeStepMs', 'prefillMs', 'timeToReadySeconds']) {
      expect(typeof e[key]).toBe('number');
    }
    expect(e.kvBytesPerToken).toBe(327_680);
    const bad = cli(['estimate', '--model', 'llama-3.1-405b', '--gpu', 'h100-80gb', '--tp', '2']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/does not fit/);
  });
});
