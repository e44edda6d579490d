import { describe, expect, it } from 'vitest';
import { constant } from '../../sim/engine/distributions.js';
import { estimateStartup } from '../../sim/cluster/estimate.js';
import { makeProbe } from '../../sim/cluster/probes.js';
import { autoSeconds, resolveStartup, secondsForSize, type ModelFacts } from '../../sim/cluster/startup-spec.js';

const LLAMA_70B: ModelFacts = { name: 'llama-3.1-70b', params: 70.6e9, weightBytes: 141.1e9 };
const LLAMA_8B: ModelFacts = { name: 'llama-3.1-8b', params: 8.03e9, weightBytes: 16.06e9 };
const QWEN_235B: ModelFacts = { name: 'qwen3-235b', params: 235e9, weightBytes: 470e9 };

describe('start-up defaults by model size (startup-and-drain.md §3b)', () => {
  it('interpolates in log(parameters) between the table rows and is flat beyond them', () => {
    const curve = [
      [8, 24],
      [70, 61],
    ] as const;
    expect(secondsForSize(curve, 8e9)).toBe(24);
    expect(secondsForSize(curve, 70e9)).toBe(61);
    expect(secondsForSize(curve, 1e9)).toBe(24);
    expect(secondsForSize(curve, 1e12)).toBe(61);
    // geometric midpoint of 8B and 70B → arithmetic midpoint of the seconds
    expect(secondsForSize(curve, Math.sqrt(8e9 * 70e9))).toBeCloseTo(42.5, 9);
  });

  it('hits the table rows: compile cold / cached, graph capture', () => {
    expect(autoSeconds(LLAMA_70B, 4)).toMatchObject({ compileCold: expect.closeTo(61, 0), compileCached: expect.closeTo(16, 0), graphCapture: expect.closeTo(16.5, 0) });
    expect(autoSeconds(QWEN_235B, 8)).toMatchObject({ compileCold: 112, compileCached: 22.5, graphCapture: 44 });
  });
});

describe('estimateStartup against startup-and-drain.md §3c (time-to-ready by model size)', () => {
  const readiness = { readiness: makeProbe('health'), liveness: null, startup: null };

  it('70B TP4, cold node, S3 weights, no compile cache: 3–6 min', () => {
    const e = estimateStartup({ model: LLAMA_70B, tensorParallel: 4, startup: resolveStartup({}, LLAMA_70B, 4), probes: readiness });
    expect(e.timeToReadySeconds).toBeGreaterThan(180);
    expect(e.timeToReadySeconds).toBeLessThan(360);
    // image 22 GB / 0.3 GB/s; 35.3 GB per rank at 1.2 GiB/s
    expect(e.phases.imagePull).toBeCloseTo(73.3, 1);
    expect(e.phases.weightLoad).toBeCloseTo(141.1e9 / 4 / (1.2 * 1024 ** 3), 6);
    expect(e.readinessLagSeconds).toBeGreaterThanOrEqual(0);
    expect(e.readinessLagSeconds).toBeLessThan(10);
  });

  /**
   * KServe's "~1 minute" with a local cache is a total without a phase breakdown, which the reference lists as
   * not a table row; the measured rows say more. r2–5 took 196 s cold from S3 (sharded) on the same 8×H100
   * setup; a warm node saves the measured compile-cache difference (61 − 16 s, §3b) and reads the page cache
   * instead of S3 (27.4 → 11 s at the §3a rates): ≈ 135 s, ±15 %.
   */
  it('70B on a warm node (image, page cache, compile cache): r2–5 less the measured cache savings, ≈ 135 s', () => {
    const e = estimateStartup({
      model: LLAMA_70B,
      tensorParallel: 4,
      startup: resolveStartup({}, LLAMA_70B, 4),
      probes: readiness,
      node: { hasImage: true, weightsLoaded: true, compileCached: true },
    });
    const expected = 196 - (61 - 16) - (27.4 - 11);
    expect(Math.abs(e.timeToServableSeconds / expected - 1)).toBeLessThan(0.15);
  });

  it('70B from the hub: about 6 min (6m13s measured)', () => {
    const e = estimateStartup({ model: LLAMA_70B, tensorParallel: 4, startup: resolveStartup({ weightSource: 'hub' }, LLAMA_70B, 4), probes: readiness });
    expect(e.timeToServableSeconds / 60).toBeGreaterThan(5.5);
    expect(e.timeToServableSeconds / 60).toBeLessThan(7.5);
  });

  it('8B: 29–44 s warm, 50–100 s with cold weights and no compile cache', () => {
    const warm = estimateStartup({
      model: LLAMA_8B,
      tensorParallel: 1,
      startup: resolveStartup({}, LLAMA_8B, 1),
      probes: readiness,
      node: { hasImage: true, weightsLoaded: true, compileCached: true },
    });
    expect(warm.timeToServableSeconds).toBeGreaterThan(29);
    expect(warm.timeToServableSeconds).toBeLessThanOrEqual(44);
    const cold = estimateStartup({ model: LLAMA_8B, tensorParallel: 1, startup: resolveStartup({}, LLAMA_8B, 1), probes: readiness, node: { hasImage: true } });
    expect(cold.timeToServableSeconds).toBeGreaterThan(50);
    expect(cold.timeToServableSeconds).toBeLessThan(100);
  });

  it('235B TP8 with S3 and a compile cache: about 5 min (4m50s measured)', () => {
    const e = estimateStartup({
      model: QWEN_235B,
      tensorParallel: 8,
      startup: resolveStartup({ compileCache: 'shared' }, QWEN_235B, 8),
      probes: readiness,
      // §3c measures process start → serving: the image is on the node
      node: { hasImage: true, compileCached: true },
    });
    expect(e.timeToServableSeconds / 60).toBeGreaterThan(4);
    expect(e.timeToServableSeconds / 60).toBeLessThan(6);
  });

  it('reports a liveness probe that would kill the pod', () => {
    const e = estimateStartup({
      model: LLAMA_70B,
      tensorParallel: 4,
      startup: resolveStartup({ weightLoad: constant(600) }, LLAMA_70B, 4),
      probes: { readiness: makeProbe('health'), liveness: makeProbe('health', { initialDelaySeconds: 120 }), startup: null },
    });
    expect(e.killedBy).toBe('liveness');
    expect(e.timeToReadySeconds).toBe(Infinity);
  });

  it('port readiness with a port opened at process start passes before the engine serves', () => {
    const e = estimateStartup({
      model: LLAMA_8B,
      tensorParallel: 1,
      startup: resolveStartup({}, LLAMA_8B, 1),
      probes: { readiness: makeProbe('port'), liveness: null, startup: null },
      listenAt: 'process-start',
    });
    expect(e.readinessLagSeconds).toBeLessThan(-30);
  });

  it('a wake from sleep skips what the sleeping engine kept and wakes the weights from host memory', () => {
    const e = estimateStartup({ model: LLAMA_8B, tensorParallel: 1, startup: resolveStartup({ wakeFromSleep: true }, LLAMA_8B, 1), probes: readiness });
    expect(e.phases).toMatchObject({ imagePull: 0, processStart: 0, compile: 0, graphCapture: 0, kvProfile: 0 });
    expect(e.phases.weightLoad).toBeCloseTo(16.06e9 / ((64 * 1024 ** 3) / 3), 6);
    expect(e.timeToReadySeconds).toBeLessThanOrEqual(e.timeToServableSeconds + 10);
  });

  it('a peer copy brings weights and compiled artefacts: only with a serving peer', () => {
    const spec = resolveStartup({ fromPeers: true, weightSource: 'hub' }, LLAMA_70B, 4);
    const alone = estimateStartup({ model: LLAMA_70B, tensorParallel: 4, startup: spec, probes: readiness, node: { hasImage: true } });
    const peer = estimateStartup({ model: LLAMA_70B, tensorParallel: 4, startup: spec, probes: readiness, node: { hasImage: true, peerServing: true } });
    // 141.1 GB over 4 ranks at 7.8 GB/s; compile cached (16 s) plus 1 GB of artefacts at 7.8 GB/s
    expect(peer.phases.weightLoad).toBeCloseTo(141.1e9 / 4 / 7.8e9, 6);
    expect(peer.phases.compile).toBeCloseTo(alone.phases.compile - 61 + 16 + 1 / 7.8, 0);
    expect(alone.phases.weightLoad).toBeGreaterThan(200);
  });
});
