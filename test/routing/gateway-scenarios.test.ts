import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The summary of scenarios/gateway/<name>.yaml with `--set` overrides. */
function run(name: string, ...overrides: string[]) {
  return runScenario(loadScenarioFile(resolve(ROOT, 'scenarios/gateway', `${name}.yaml`), overrides)).summary;
}

/** Issue 15's acceptance behaviours, on the scenarios of scenarios/gateway (shortened where the point is early). */
describe('the gateway as a real component (issue 15)', () => {
  it('slow start removes the TTFT spike of a cold pod joining a 12-pod 70B fleet, all else equal', () => {
    // The first new pod joins at ~7.4 min; 8 min covers its join.
    const cold = run('70b-rolling-cold-join', 'spec.duration=8m');
    const slow = run('70b-rolling-slow-start', 'spec.duration=8m');
    expect(cold.latency.spikeRatio).toBeGreaterThan(8);
    expect(slow.latency.spikeRatio).toBeLessThanOrEqual(2);
    expect(slow.latency.baseline.ttftP95Ms).toBe(cold.latency.baseline.ttftP95Ms); // same run until the join
  });

  it('a router admitting pods 20 s late leaves 2 replicas unroutable; waiting or a readiness gate saves every request', () => {
    const lag = run('admission-lag-2-replicas');
    const wait = run('admission-lag-wait');
    expect(lag.gateway?.longestNoEndpointSeconds).toBeGreaterThanOrEqual(15);
    expect(lag.requests.rejectedByCause['no-endpoint']).toBeGreaterThan(0);
    expect(wait.requests.rejected + wait.requests.dropped + wait.requests.timedOut).toBe(0);
    expect(wait.gateway?.waitedForEndpoint).toBe(lag.requests.rejectedByCause['no-endpoint']);
    // A readiness gate set on admission holds the old pod until the new one is routable.
    const gated = run('admission-lag-gated');
    expect(gated.gateway?.noEndpointSeconds).toBe(0);
    expect(gated.requests.rejected + gated.requests.dropped + gated.requests.timedOut).toBe(0);
  });

  it('a lagging router makes thousands of instant 503s in a 20-replica roll; waiting makes them near zero', () => {
    const instant = run('lagging-router-20-replicas', 'spec.duration=12m');
    const waiting = run('lagging-router-wait', 'spec.duration=12m');
    expect(instant.requests.rejected).toBeGreaterThan(1000);
    expect(waiting.requests.rejected + waiting.requests.dropped).toBeLessThanOrEqual(10);
  });

  it('a router with a shorter grace than the servers cuts ~45 s streams when both roll; with the same grace, none', () => {
    const short = run('router-grace-short');
    const matched = run('router-grace-matched');
    expect(short.requests.droppedByCause['gateway-terminated']).toBeGreaterThan(0);
    expect(matched.requests.droppedByCause['gateway-terminated'] ?? 0).toBe(0);
    expect(matched.requests.dropped).toBe(0);
  });
});
