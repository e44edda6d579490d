/**
 * The start-up levers through the whole simulation: each must change the rollout's shape, show in the summary's
 * `startup` group, and handle its bad input as issue 14 says.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../sim/errors.js';
import type { RunResult } from '../../sim/run/result.js';
import { run, scenario, type Doc } from '../validation/scenario-kit.js';

/**
 * Eight TP1 replicas of an 8B model on two 8-GPU nodes, rolled with maxSurge 1 / maxUnavailable 0; every
 * phase `auto` (the start-up model decides), the image pre-pulled, weights from the hub.
 */
function rolling(startup: Doc, extra: Doc = {}): Doc {
  return scenario({
    duration: '1500s',
    cluster: { nodePools: [{ name: 'a', gpu: 'h100-80gb', gpusPerNode: 8, nodes: 2 }], autoscaler: 'none' },
    startup: { imagePull: 'prepulled', processStart: 'auto', weightLoad: 'auto', compile: 'auto', graphCapture: 'auto', kvProfile: 'auto', warmup: 'auto', weightSource: 'hub', ...startup },
    deployment: { replicas: 8, readinessProbe: { periodSeconds: 1 } },
    traffic: { arrival: { poisson: { rate: '0.5/s' } }, promptTokens: { constant: 100 }, outputTokens: { constant: 10 } },
    rollout: { at: '10s', strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } },
    ...extra,
  });
}

const runs = new Map<string, RunResult>();
/** Runs each distinct scenario once for the whole file. */
function once(doc: Doc): RunResult {
  const key = JSON.stringify(doc);
  const cached = runs.get(key);
  if (cached !== undefined) return cached;
  const r = run(doc);
  runs.set(key, r);
  return r;
}

const readyGaps = (doc: Doc) => {
  const r = once(doc);
  const ready = r.events.filter((e) => e.version === 'new' && e.event === 'Ready').map((e) => e.t);
  return { r, ready };
};

describe('weights from peers', () => {
  it('the first new pod loads from the hub, the other seven copy from a serving peer: ≈ T_cold + 7 T_peer', () => {
    const cold = readyGaps(rolling({}));
    const peers = readyGaps(rolling({ fromPeers: true }));
    const s = peers.r.summary.startup;
    expect(peers.ready).toHaveLength(8);
    expect(s.peerCopies).toBe(7);
    expect(s.peerFallbacks).toBe(1);
    const tCold = s.firstNewPodSeconds as number;
    const tPeer = s.laterNewPodsMeanSeconds as number;
    // a peer copy skips the download and finds compiled artefacts: far faster than a cold start
    expect(tPeer).toBeLessThan(tCold * 0.6);
    const duration = peers.r.summary.rollout.durationSeconds as number;
    console.log(`T_cold ${tCold.toFixed(1)} s, T_peer ${tPeer.toFixed(1)} s, rollout ${duration} s with peers, ${cold.r.summary.rollout.durationSeconds} s without`);
    // each step waits for one pod (surge 1): the rollout is the sum of the eight start-ups, plus probe and
    // controller rounding (≤ 2 s per step)
    expect(duration).toBeGreaterThanOrEqual(tCold + 7 * tPeer);
    expect(duration).toBeLessThan(tCold + 7 * tPeer + 16);
    // without peers every pod pays the hub download
    const coldDuration = cold.r.summary.rollout.durationSeconds as number;
    expect(cold.r.summary.startup.peerCopies).toBe(0);
    expect(duration).toBeLessThan(coldDuration * 0.75);
    const fallback = peers.r.events.find((e) => e.event === 'weightLoad' && e.version === 'new' && e.reason.startsWith('no serving peer'));
    expect(fallback?.reason).toBe('no serving peer: fallback to hub');
    expect(peers.r.events.filter((e) => e.event === 'weightLoad' && e.reason.startsWith('from peer'))).toHaveLength(7);
  });
});

describe('node-local model cache and image pre-pull', () => {
  it('a node model cache reads the weights from the node disk: every new pod faster than from the hub', () => {
    const hub = once(rolling({})).summary.startup;
    const local = run(rolling({ localModelCache: true }));
    const reasons = new Set(local.events.filter((e) => e.event === 'weightLoad' && e.version === 'new').map((e) => e.reason));
    // the first load on each node reads its disk; later ones find the page cache
    expect([...reasons].sort()).toEqual(['node model cache', 'page cache']);
    expect(local.summary.startup.timeToReadyMaxSeconds as number).toBeLessThan(hub.timeToReadyMeanSeconds as number);
  });

  it('a pulled image (pre-pull DaemonSet) takes the pull off every new pod', () => {
    const pulled = run(rolling({ imagePull: 'auto' })).summary.startup;
    const prepulled = once(rolling({})).summary.startup;
    // 22 GB at 0.3 GB/s, paid once per node by the first new pod there
    expect((pulled.firstNewPodSeconds as number) - (prepulled.firstNewPodSeconds as number)).toBeCloseTo(22 / 0.3, 0);
  });
});

describe('compile-cache keys', () => {
  it('a shared cache is reused by later pods of the version but not across versions: the first new pod compiles cold', () => {
    const r = run(rolling({ compileCache: 'shared' }));
    const s = r.summary.startup;
    // the new image invalidates the old version's artefacts (primed by the initial fleet)
    expect(s.compileColdRuns).toBe(1);
    expect(s.compileCacheHits).toBe(7);
    expect(s.laterNewPodsMeanSeconds as number).toBeLessThan(s.firstNewPodSeconds as number);
  });
});

describe('bad input', () => {
  it('an unknown JIT add-on is an error naming the model', () => {
    expect(() => run(rolling({ jitAddOns: ['deepgemm', 'warp-drive'] }))).toThrow(InputError);
    expect(() => run(rolling({ jitAddOns: ['warp-drive'] }))).toThrow(/model llama-3.1-8b: unknown JIT add-on "warp-drive"/);
  });

  it('JIT add-ons lengthen the compile: the catalog gives a Qwen3 MoE served in FP8 DeepGEMM and FlashInfer', () => {
    const base = { model: { name: 'qwen3-30b-a3b', tensorParallel: 1, weightDtype: 'fp8' } };
    const withJit = run(rolling({}, base)).summary.startup;
    const without = run(rolling({ jitAddOns: [] }, base)).summary.startup;
    expect((withJit.firstNewPodSeconds as number) - (without.firstNewPodSeconds as number)).toBeCloseTo(82 + 120, 0);
  });
});

describe('sleep / wake model swap', () => {
  /**
   * A GPU-full node (8 TP1 pods on 8 GPUs) switched with Recreate: the old pods drain for G = 30 s (preStop),
   * then the new ones start on the same GPUs. With the new version asleep on the node (vLLM sleep mode), the
   * outage is about drain + wake (16 GB from host memory at 21 GiB/s, < 1 s, plus a 1 s probe period);
   * started cold it is drain + a whole cold start.
   */
  function swap(startup: Doc): { outage: number; r: RunResult } {
    const r = once(
      scenario({
        duration: '400s',
        startup: { imagePull: 'auto', processStart: 'auto', weightLoad: 'auto', compile: 'auto', graphCapture: 'auto', kvProfile: 'auto', warmup: 'auto', ...startup },
        deployment: { replicas: 8, readinessProbe: { periodSeconds: 1 }, preStop: { sleep: '30s' }, terminationGracePeriodSeconds: 30 },
        traffic: { arrival: { poisson: { rate: '0.5/s' } }, promptTokens: { constant: 100 }, outputTokens: { constant: 10 } },
        rollout: { at: '10s', strategy: { recreate: {} } },
      }),
    );
    const firstNewReady = Math.min(...r.events.filter((e) => e.version === 'new' && e.event === 'Ready').map((e) => e.t));
    return { outage: firstNewReady - 10, r };
  }

  it('Recreate with the new version asleep: unavailable for about drain + wake, against drain + a cold start', () => {
    const wake = swap({ wakeFromSleep: true });
    const cold = swap({});
    console.log(`outage: ${wake.outage.toFixed(1)} s wake from sleep, ${cold.outage.toFixed(1)} s cold`);
    expect(wake.outage).toBeGreaterThanOrEqual(30);
    expect(wake.outage).toBeLessThan(30 + 3);
    expect(cold.outage).toBeGreaterThan(30 + 60);
    expect(wake.r.summary.rollout.outcome).toBe('completed');
    expect(wake.r.summary.capacity.surgeGpus).toBe(0);
    expect(wake.r.events.filter((e) => e.event === 'weightLoad' && e.version === 'new').every((e) => e.reason === 'wake from sleep')).toBe(true);
  });
});
