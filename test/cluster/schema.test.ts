import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Distribution } from '../../sim/engine/distributions.js';
import { checkPodFitsSomePool } from '../../sim/cluster/cluster.js';
import { resolveClusterConfig, resolvePodFaults, resolvePodSettings, resolveStartupInput, zCluster, zPodFaults, zPodSettings, zStartup } from '../../sim/cluster/schema.js';
import { formatIssues } from '../../sim/config/issues.js';
import { pool } from './harness.js';

function problems(schema: z.ZodType, raw: unknown): string[] {
  const r = schema.safeParse(raw);
  return r.success ? [] : formatIssues(r.error.issues, raw);
}

const GiB = 1024 ** 3;

describe('cluster schema', () => {
  const minimal = { nodePools: [{ name: 'h100', gpu: 'H100-80GB', nodes: 4 }] };

  it('fills the documented defaults', () => {
    const config = resolveClusterConfig(zCluster.parse(minimal), '.');
    expect(config.nodePools[0]).toEqual({
      name: 'h100',
      gpu: 'h100-80gb',
      gpusPerNode: 8,
      nodes: 4,
      minNodes: 4,
      maxNodes: 4,
      hostMemory: 2048 * GiB,
      ephemeralDisk: 500 * GiB,
      labels: {},
    });
    expect(config.autoscaler).toMatchObject({ enabled: true, scanInterval: 10, scaleUpDelay: 30, maxNodeProvisionTime: 900, scaleDownUnneededTime: 600 });
    expect(config.endpointPropagation.add.mean).toBe(1);
    expect(config.endpointPropagation.remove.mean).toBe(2);
    expect(config.eviction).toEqual({ memoryAvailable: 100 * 1024 ** 2, nodefsAvailable: 0.1, imageGcHigh: 0.85, imageGcLow: 0.8, pressureTransitionPeriod: 300 });
    expect(config.storage.objectStore.perReader).toBeCloseTo(1.2 * GiB, 0);
  });

  it('takes a cloud preset as a string or with overrides', () => {
    const gke = resolveClusterConfig(zCluster.parse({ ...minimal, autoscaler: 'gke' }), '.');
    expect(gke.autoscaler.nodeReady.describe()).toBe('uniform(min=180, max=240)');
    const custom = resolveClusterConfig(zCluster.parse({ ...minimal, autoscaler: { cloud: 'eks-karpenter', nodeReady: '45s', scaleUpDelay: '5s' } }), '.');
    expect(custom.autoscaler).toMatchObject({ scanInterval: 1, scaleUpDelay: 5 });
    expect(custom.autoscaler.nodeReady.mean).toBe(45);
    expect(resolveClusterConfig(zCluster.parse({ ...minimal, autoscaler: 'none' }), '.').autoscaler.enabled).toBe(false);
  });

  it('names the field and the bad value', () => {
    expect(problems(zCluster, { nodePools: [{ name: 'a', gpu: 'h100-80gb', nodes: 2, maxNodes: 1 }] })).toEqual([
      'nodePools[0].maxNodes: maxNodes (1) is below nodes (2) (got 1)',
    ]);
    expect(problems(zCluster, { ...minimal, endpointPropagation: { remove: '-2s' } })[0]).toMatch(/^endpointPropagation\.remove: .*negative/);
    expect(problems(zCluster, { ...minimal, autoscaler: { cloud: 'azure' } })[0]).toMatch(/^autoscaler/);
    expect(problems(zCluster, { nodePools: [] })).toEqual(['nodePools: declare at least one node pool (got [])']);
  });

  it('an unknown GPU without hostMemory is an error naming the pool', () => {
    const parsed = zCluster.parse({ nodePools: [{ name: 'x', gpu: 'h100-80gb', nodes: 1 }] });
    const unknown = { ...parsed, nodePools: [{ ...parsed.nodePools[0], gpu: 'tpu-v5' }] };
    expect(() => resolveClusterConfig(unknown, '.')).toThrow(/cluster\.nodePools\[0\]\.gpu/);
  });
});

describe('startup schema', () => {
  it('defaults every phase to auto and builds distributions', () => {
    const parsed = zStartup.parse({ compile: '45s', weightLoad: { lognormal: { p50: '60s', p90: '120s' } }, imagePull: 'streaming' });
    expect(parsed.processStart).toBe('auto');
    const input = resolveStartupInput(parsed, '.');
    expect(input.imagePull).toBe('streaming');
    expect((input.compile as Distribution).mean).toBe(45);
    expect((input.weightLoad as Distribution).describe()).toBe('lognormal(p50=60, p90=120)');
  });

  it('rejects negative durations and unknown sources with the path', () => {
    expect(problems(zStartup, { kvProfile: '-5s' })[0]).toMatch(/^kvProfile: .*negative/);
    expect(problems(zStartup, { weightSource: 's3' })[0]).toMatch(/^weightSource: /);
    expect(problems(zStartup, { compile: 'fast' })).toEqual(['compile: "fast" is not a duration; write e.g. 90s, 2m or 1h; or one of auto (got "fast")']);
  });
});

describe('pod settings schema', () => {
  it('defaults: a health readiness probe with Kubernetes defaults, TGPS 30, no preStop', () => {
    const s = resolvePodSettings(zPodSettings.parse({}));
    expect(s.probes.readiness).toMatchObject({ kind: 'health', initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
    expect(s.probes.liveness).toBeNull();
    expect(s).toMatchObject({ preStopSleep: 0, terminationGracePeriodSeconds: 30, minReadySeconds: 0 });
    expect(resolvePodSettings(zPodSettings.parse({ readinessProbe: null })).probes.readiness).toBeNull();
  });

  it('rejects a probe period of 0, a liveness successThreshold above 1, and a negative grace period', () => {
    expect(problems(zPodSettings, { readinessProbe: { periodSeconds: 0 } })).toEqual([
      'readinessProbe.periodSeconds: must be at least 1 second (Kubernetes minimum) (got 0)',
    ]);
    expect(problems(zPodSettings, { livenessProbe: { successThreshold: 2 } })).toEqual([
      'livenessProbe.successThreshold: must be 1 for a liveness probe (Kubernetes validation) (got 2)',
    ]);
    expect(problems(zPodSettings, { terminationGracePeriodSeconds: -1 })[0]).toMatch(/^terminationGracePeriodSeconds: .*negative/);
    expect(problems(zPodSettings, { preStop: { sleep: '-3s' } })[0]).toMatch(/^preStop\.sleep: .*negative/);
  });

  it('faults: crashOnStart true means a crash after kvProfile', () => {
    expect(resolvePodFaults(zPodFaults.parse({ crashOnStart: true }))).toEqual({ crashAfter: 'kvProfile', startupFactor: 1, extraLoadSeconds: 0 });
    expect(problems(zPodFaults, { crashOnStart: 'imagePull' })[0]).toMatch(/^crashOnStart/);
  });
});

describe('config-time capacity check', () => {
  it('a pod needing more GPUs than any node has is an input error', () => {
    const pools = [pool({ gpusPerNode: 8 })];
    expect(() => checkPodFitsSomePool(pools, { gpus: 16, memory: 0, gpu: 'h100-80gb', selector: {} }, 'deployment')).toThrow(
      'deployment.tensorParallel: a pod needs 16 GPUs but the largest matching node has 8; lower tensorParallel or use bigger nodes',
    );
    expect(() => checkPodFitsSomePool(pools, { gpus: 1, memory: 0, gpu: 'a100-80gb', selector: {} }, 'deployment')).toThrow(/no node pool has GPU "a100-80gb"/);
    expect(() => checkPodFitsSomePool(pools, { gpus: 8, memory: 0, gpu: 'h100-80gb', selector: {} }, 'deployment')).not.toThrow();
  });
});
