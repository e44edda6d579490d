/**
 * The sleepWake strategy (issue 14): a zero-surge model swap on the same GPUs with vLLM sleep mode. On a GPU-full
 * node its outage is about drain + wake, against drain + a cold start under Recreate.
 */
import { describe, expect, it } from 'vitest';
import { resolveStartup, type ModelFacts } from '../../sim/cluster/startup-spec.js';
import { InputError } from '../../sim/errors.js';
import { checkSleepHostMemory, sleepWakeLevel, wakingStartup } from '../../sim/rollout/sleep-wake.js';
import { zRollout } from '../../sim/rollout/strategy-schema.js';
import type { RunResult } from '../../sim/run/result.js';
import { run, scenario, type Doc } from '../validation/scenario-kit.js';

const GiB = 1024 ** 3;
const DRAIN = 30;
const AT = 10;

/** Eight 8B TP1 pods filling one 8-GPU node, every start-up phase `auto`, weights from the hub, a 30 s drain. */
function swap(strategy: Doc, extra: Doc = {}): RunResult {
  return run(
    scenario({
      duration: '400s',
      startup: { imagePull: 'auto', processStart: 'auto', weightLoad: 'auto', compile: 'auto', graphCapture: 'auto', kvProfile: 'auto', warmup: 'auto', weightSource: 'hub' },
      deployment: { replicas: 8, readinessProbe: { periodSeconds: 1 }, preStop: { sleep: `${DRAIN}s` }, terminationGracePeriodSeconds: DRAIN },
      traffic: { arrival: { poisson: { rate: '0.5/s' } }, promptTokens: { constant: 100 }, outputTokens: { constant: 10 } },
      rollout: { at: `${AT}s`, strategy },
      ...extra,
    }),
  );
}

/** Rollout start → the first new pod Ready: how long nothing serves when every pod is swapped at once. */
const outage = (r: RunResult) => Math.min(...r.events.filter((e) => e.version === 'new' && e.event === 'Ready').map((e) => e.t)) - AT;

describe('sleepWake schema', () => {
  const parse = (strategy: unknown) => zRollout.parse({ at: '1m', strategy });
  it('defaults to level 1 and the Deployment maxUnavailable, and refuses a swap that can never start', () => {
    expect(parse({ sleepWake: {} }).strategy).toEqual({ sleepWake: { level: 1, maxUnavailable: { kind: 'percent', value: 25 } } });
    expect(() => parse({ sleepWake: { maxUnavailable: 0 } })).toThrow(/may not be 0 when maxSurge is 0/);
    expect(() => parse({ sleepWake: { level: 3 } })).toThrow();
    expect(sleepWakeLevel(parse({ sleepWake: { level: 2 } }))).toBe(2);
    expect(sleepWakeLevel(parse({ recreate: {} }))).toBeNull();
  });
});

describe('sleepWake host memory (level 1)', () => {
  const pool = { name: 'small', gpu: 'h100-80gb', gpusPerNode: 8, hostMemory: 200 * GiB };
  it('each node must hold a pod request and a sleeping copy of the weights per pod it places: level 2 needs no copy', () => {
    // 8 × (16 GiB + 14.9 GiB) > 200 GiB
    expect(() => checkSleepHostMemory(1, 16e9, 16 * GiB, 1, [pool], 'h100-80gb')).toThrow(InputError);
    expect(() => checkSleepHostMemory(1, 16e9, 16 * GiB, 1, [pool], 'h100-80gb')).toThrow(
      /nodePools\[0\]\.hostMemory: sleep level 1 keeps 8 sleeping engine\(s\) of 14\.9 GiB .* 16\.0 GiB each \(247\.2 GiB in all\).*host memory \(200\.0 GiB\)/,
    );
    expect(() => checkSleepHostMemory(1, 16e9, 8 * GiB, 1, [pool], 'h100-80gb')).not.toThrow();
    // TP4: two pods per node fit; another GPU's pool serves something else; level 2 keeps no weights
    expect(() => checkSleepHostMemory(1, 16e9, 16 * GiB, 4, [pool], 'h100-80gb')).not.toThrow();
    expect(() => checkSleepHostMemory(1, 16e9, 16 * GiB, 1, [pool], 'l40s-48gb')).not.toThrow();
    expect(() => checkSleepHostMemory(2, 16e9, 16 * GiB, 1, [pool], 'h100-80gb')).not.toThrow();
  });

  it('a scenario whose nodes are too small for level 1 is an input error naming the pool', () => {
    // the fleet fits (8 × 16 GiB requested), the sleeping copies (8 × 14.9 GiB) do not
    const small = { cluster: { nodePools: [{ name: 'a', gpu: 'h100-80gb', gpusPerNode: 8, nodes: 1, hostMemory: '200GiB' }], autoscaler: 'none' } };
    expect(() => swap({ sleepWake: { level: 1, maxUnavailable: '100%' } }, small)).toThrow(/spec\.cluster\.nodePools\[0\]\.hostMemory: sleep level 1/);
    expect(swap({ sleepWake: { level: 2, maxUnavailable: '100%' } }, small).summary.rollout.outcome).toBe('completed');
  });
});

describe('sleepWake through a whole rollout on a GPU-full node', () => {
  const level1 = swap({ sleepWake: { level: 1, maxUnavailable: '100%' } });
  const recreate = swap({ recreate: {} });

  it('level 1: unavailable for about drain + wake, against drain + a cold start under Recreate; no surge', () => {
    console.log(`outage: ${outage(level1).toFixed(1)} s sleep/wake level 1, ${outage(recreate).toFixed(1)} s recreate`);
    expect(outage(level1)).toBeGreaterThanOrEqual(DRAIN);
    // 16 GB from host memory at ~21 GiB/s, then a 1 s probe period
    expect(outage(level1)).toBeLessThan(DRAIN + 3);
    const cold = recreate.summary.startup.timeToReadyMeanSeconds as number;
    expect(outage(recreate)).toBeGreaterThanOrEqual(DRAIN + cold);
    expect(level1.summary.capacity.surgeGpus).toBe(0);
    expect(level1.summary.capacity.peakGpus).toBe(8);
    expect(level1.summary.rollout.outcome).toBe('completed');
    const loads = level1.events.filter((e) => e.event === 'weightLoad' && e.version === 'new');
    expect(loads).toHaveLength(8);
    expect(loads.every((e) => e.reason === 'wake from sleep')).toBe(true);
    // the initial fleet was started as usual: only the new template wakes
    expect(level1.events.some((e) => e.version === 'old' && e.reason === 'kept asleep')).toBe(false);
  });

  it('level 2: the wake reloads the weights from the page cache but keeps the engine: ~7 s for an 8B, far faster than cold', () => {
    const level2 = swap({ sleepWake: { level: 2, maxUnavailable: '100%' } });
    const t1 = level1.summary.startup.timeToReadyMeanSeconds as number;
    const t2 = level2.summary.startup.timeToReadyMeanSeconds as number;
    const cold = recreate.summary.startup.timeToReadyMeanSeconds as number;
    console.log(`time to ready: level 1 ${t1.toFixed(1)} s, level 2 ${t2.toFixed(1)} s, cold ${cold.toFixed(1)} s`);
    // 16 GB from the page cache the sleeping engine filled (3 GiB/s per rank) + a probe period: the published
    // level-2 sleep + wake of an 8B is ~7 s
    expect(t2).toBeGreaterThan(t1 + 3);
    expect(t2).toBeGreaterThanOrEqual(4);
    expect(t2).toBeLessThanOrEqual(9);
    expect(t2).toBeLessThan(cold / 10);
    expect(level2.summary.startup.compileColdRuns).toBe(0);
    expect(level2.events.filter((e) => e.event === 'weightLoad' && e.version === 'new').every((e) => e.reason === 'sleep level 2: reload from page cache')).toBe(true);
  });

  it('maxUnavailable 1 swaps one pod at a time: never below seven ready, eight drain + wake steps', () => {
    const oneByOne = swap({ sleepWake: { level: 1, maxUnavailable: 1 } }, { duration: '600s' });
    expect(oneByOne.summary.rollout.minReadyReplicas).toBe(7);
    expect(oneByOne.summary.capacity.surgeGpus).toBe(0);
    const duration = oneByOne.summary.rollout.durationSeconds as number;
    expect(duration).toBeGreaterThanOrEqual(8 * DRAIN);
    expect(duration).toBeLessThan(8 * (DRAIN + 4));
  });
});

describe('wakingStartup', () => {
  const model: ModelFacts = { name: 'llama-3.1-8b', params: 8e9, weightBytes: 16e9 };
  it('sets the level on a copy, leaving every other start-up setting as resolved', () => {
    const base = resolveStartup({ weightSource: 'hub', fromPeers: true }, model, 1);
    const woken = wakingStartup(base, 2);
    expect(woken).toEqual({ ...base, wakeFromSleep: 2 });
    expect(base.wakeFromSleep).toBe(false);
    expect(resolveStartup({ wakeFromSleep: true }, model, 1).wakeFromSleep).toBe(1);
  });
});
