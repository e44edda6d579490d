import { describe, expect, it } from 'vitest';
import type { Summary } from '../../sim/metrics/summary-types.js';
import { resolveRun } from '../../sim/run/resolve.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenarioFile, loadScenarioText } from '../../sim/scenario/load.js';
import { inputError } from '../helpers/input-error.js';

const COORDINATED = 'scenarios/pd/llama-70b-pd-coordinated.yaml';
const INDEPENDENT = 'scenarios/pd/llama-70b-pd-independent.yaml';

/** A shorter run of the scenario file: the rollout, and less traffic. */
const SHORT = ['spec.duration=40m', 'spec.traffic.arrival.poisson.rate=4/s'];

function run(file: string, overrides: string[] = SHORT, seed?: number): Summary {
  return runScenario(loadScenarioFile(file, overrides), { seed }).summary;
}

function accounted(s: Summary): number {
  const r = s.requests;
  return r.completed + r.dropped + r.rejected + r.timedOut + r.inFlightAtEnd;
}

describe('disaggregated runs', () => {
  it('coordinated keeps each version near the fleet ratio; independent drifts, and TTFT with it (TPOT does not)', () => {
    const coordinated = run(COORDINATED, ['spec.duration=40m']);
    const independent = run(INDEPENDENT, ['spec.duration=40m']);
    for (const s of [coordinated, independent]) {
      expect(s.rollout.outcome).toBe('completed');
      expect(s.requests.dropped + s.requests.rejected).toBe(0);
    }
    const c = coordinated.disaggregation!;
    const i = independent.disaggregation!;
    expect(c.maxRatioDrift).toBeLessThanOrEqual(2);
    expect(i.maxRatioDrift).toBeGreaterThanOrEqual(4);
    expect(independent.latency.rollout.ttftP95Ms!).toBeGreaterThan(2 * coordinated.latency.rollout.ttftP95Ms!);
    expect(Math.abs(independent.latency.rollout.tpotP95Ms! - coordinated.latency.rollout.tpotP95Ms!)).toBeLessThan(2);
    // Every KV transfer is the link's latency plus the prompt's bytes: 2 ms + prompt × 327,680 B / 25 GB/s.
    expect(c.transferSecondsMean!).toBeGreaterThan(0.002);
    expect(c.prefillReplicas / c.decodeReplicas).toBe(c.targetRatio);
  });

  it('ends every request one way when both roles cut work (no drain: SIGTERM aborts)', () => {
    const s = run(INDEPENDENT, [...SHORT, 'spec.server.shutdownTimeout=0s', 'spec.deployment.preStop.sleep=0s', 'spec.traffic.arrival.poisson.rate=8/s']);
    expect(accounted(s)).toBe(s.requests.arrived);
    expect(s.requests.dropped).toBeGreaterThan(0);
    const d = s.disaggregation!;
    expect(d.failedOnPrefillPod + d.cutByDecodePod).toBeGreaterThan(0);
    expect(s.requests.droppedByCause['sigterm-abort'] ?? 0).toBeGreaterThan(0);
  });

  it('is deterministic: the same seed gives the same summary', () => {
    const strip = (s: Summary) => ({ ...s, engine: { events: s.engine.events } });
    const a = run(COORDINATED, SHORT, 5);
    const b = run(COORDINATED, SHORT, 5);
    expect(strip(a)).toEqual(strip(b));
    expect(strip(run(COORDINATED, SHORT, 6))).not.toEqual(strip(a));
  });
});

describe('deployment.disaggregation input', () => {
  const base = (extra: string): string => `
apiVersion: rollout-sim/v1alpha1
kind: Scenario
metadata: { name: pd-input }
spec:
  duration: 10m
  cluster: { nodePools: [{ name: gpu, gpu: h100-80gb, gpusPerNode: 8, nodes: 4 }] }
  model: { name: llama-3.1-70b, tensorParallel: 4 }
  traffic: { arrival: { poisson: { rate: 1/s } }, promptTokens: { constant: 1000 }, outputTokens: { constant: 50 } }
${extra}`;
  const disaggregated = `  deployment: { replicas: 2, disaggregation: { prefill: { replicas: 2 }, kvTransfer: { bandwidth: 25GB/s } } }\n`;

  it('resolves the prefill role: its own replicas, the model\'s TP by default, the KV bytes per token of the model', () => {
    const run = resolveRun(loadScenarioText(base(disaggregated)));
    const d = run.disaggregation!;
    expect(d.prefillReplicas).toBe(2);
    expect(d.prefillTemplates.old.tensorParallel).toBe(4);
    expect(d.prefillTemplates.new.name).toBe('pd-input-new-prefill');
    // Llama-3.1-70B: 80 layers × 8 KV heads × 128 dims × 2 (K, V) × 2 bytes.
    expect(d.link).toEqual({ bandwidth: 25e9, latency: 0, bytesPerToken: 80 * 8 * 128 * 2 * 2 });
    expect(d.rollout).toBeNull();
  });

  it('refuses what it does not model yet, naming the field', () => {
    expect(inputError(() => resolveRun(loadScenarioText(base(`  rollout: { at: 1m, strategy: { rollingUpdate: {} }, disaggregated: { mode: coordinated } }\n`))))).toMatchObject({
      path: 'spec.rollout.disaggregated',
    });
    expect(inputError(() => resolveRun(loadScenarioText(base(`${disaggregated}  rollout: { at: 1m, strategy: { recreate: {} } }\n`))))).toMatchObject({
      path: 'spec.rollout.strategy',
    });
    expect(inputError(() => resolveRun(loadScenarioText(base(`${disaggregated}  server: { model: queue, serviceTime: { constant: 1 }, concurrency: 1 }\n`))))).toMatchObject({
      path: 'spec.deployment.disaggregation',
    });
  });

  it('rejects a non-positive KV bandwidth at validation', () => {
    expect(() => loadScenarioText(base(`  deployment: { disaggregation: { prefill: { replicas: 1 }, kvTransfer: { bandwidth: 0 } } }\n`))).toThrow(/kvTransfer\.bandwidth/);
  });
});
