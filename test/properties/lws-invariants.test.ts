/**
 * Invariants of multi-node replicas (deployment.leaderWorkerSet) over random small LeaderWorkerSet scenarios: groups
 * of one to three pods of 4 or 8 GPUs on two to six 8-GPU nodes, LWS rolling updates with random budgets and
 * partitions, the three restart policies, gang scheduling and anti-affinity, ordinal and hash identity (gated
 * or immediate replacements), crashing new versions, workers' preStop shorter or longer than the leader's drain. Every request ends one way, no node holds more GPUs than it has, only leaders serve, time moves
 * forward, and every rollout ends with an outcome (a stall with its reason).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../sim/run/result.js';
import { run, type Doc } from '../validation/scenario-kit.js';
import { accountingViolation, nodeGpuViolation, podIdOf, rolloutViolation, timeViolation } from './invariants.js';

const FC_SEED = 20261205;
const s = (x: number) => `${x}s`;
const seconds = (min: number, max: number) => fc.integer({ min: min * 10, max: max * 10 }).map((d) => d / 10);

interface LwsCase {
  doc: Doc;
  tp: number;
  duration: number;
}

const lwsCase: fc.Arbitrary<LwsCase> = fc
  .record({
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    size: fc.integer({ min: 1, max: 3 }),
    tp: fc.constantFrom(4, 8),
    nodes: fc.integer({ min: 2, max: 6 }),
    maxUnavailable: fc.integer({ min: 0, max: 2 }),
    maxSurge: fc.integer({ min: 0, max: 2 }),
    partition: fc.constantFrom(0, 0, 0, 1),
    restartPolicy: fc.constantFrom('RecreateGroupOnPodRestart', 'RecreateGroupAfterStart', 'None'),
    crashOnStart: fc.boolean(),
    gangScheduling: fc.boolean(),
    hash: fc.boolean(),
    immediate: fc.boolean(),
    onePodPerNode: fc.boolean(),
    preStop: seconds(0, 10),
    workerPreStop: seconds(0, 30),
    drain: seconds(0, 20),
    rate: seconds(0.5, 8),
    rolloutAt: seconds(2, 20),
    span: seconds(60, 200),
  })
  .filter((r) => r.size * r.tp <= r.nodes * 8 && r.maxUnavailable + r.maxSurge > 0 && (!r.onePodPerNode || r.size <= r.nodes))
  .map((r) => {
    // Members that repel each other need distinct nodes: the scheduler places them greedily, as kube-scheduler does.
    const fitting = r.onePodPerNode ? Math.floor(r.nodes / r.size) : Math.floor((r.nodes * 8) / (r.size * r.tp));
    const replicas = Math.max(1, fitting - (r.maxSurge > 0 ? 1 : 0));
    const duration = Math.round((r.rolloutAt + r.span) * 10) / 10;
    const doc: Doc = {
      apiVersion: 'rollout-sim/v1alpha1',
      kind: 'Scenario',
      metadata: { name: 'lws-prop' },
      spec: {
        seed: r.seed,
        duration: s(duration),
        cluster: { nodePools: [{ name: 'a', gpu: 'h100-80gb', gpusPerNode: 8, nodes: r.nodes }] },
        model: { name: 'llama-3.1-8b', tensorParallel: r.tp },
        server: { maxNumSeqs: 32, maxNumBatchedTokens: 2048, shutdownTimeout: s(r.drain) },
        startup: { imagePull: '2s', processStart: '1s', weightLoad: { uniform: { min: '3s', max: '12s' } }, compile: '0s', graphCapture: '1s', kvProfile: '0s', warmup: '0s' },
        deployment: {
          replicas,
          readinessProbe: { periodSeconds: 2 },
          preStop: { sleep: s(r.preStop) },
          terminationGracePeriodSeconds: 30,
          leaderWorkerSet: {
            size: r.size,
            restartPolicy: r.restartPolicy,
            workerPreStop: { sleep: s(r.workerPreStop) },
            gangScheduling: r.gangScheduling,
            onePodPerNode: r.onePodPerNode,
            groupIdentity: r.hash ? 'Hash' : 'Ordinal',
            ...(r.hash && r.immediate ? { groupReplacementPolicy: 'Immediate' } : {}),
          },
        },
        rollout: {
          at: s(r.rolloutAt),
          strategy: { leaderWorkerSet: { maxUnavailable: r.maxUnavailable, maxSurge: r.maxSurge, partition: r.hash ? 0 : r.partition } },
          newVersion: { crashOnStart: r.crashOnStart },
        },
        traffic: {
          arrival: { poisson: { rate: `${r.rate}/s` } },
          promptTokens: { lognormal: { p50: 200, p90: 600 } },
          outputTokens: { lognormal: { p50: 30, p90: 200 } },
          maxOutputTokens: 400,
        },
        metrics: { windowSeconds: '5s' },
      },
    };
    return { doc, tp: r.tp, duration };
  });

/** Requests are served by leaders only: pods named <workload>-<version>-<id>; workers are <leader>-<k>. */
function workerServed(result: RunResult): string | null {
  const leaders = new Set<number>();
  for (const e of result.events) if (/^lws-prop-(old|new)-\d+$/.test(e.pod)) leaders.add(podIdOf(e.pod));
  for (const r of result.requests ?? []) {
    if (r.outcome === 'completed' && !leaders.has(r.pod)) return `request ${r.id} completed on pod ${r.pod}, which is not a group leader`;
  }
  return null;
}

describe('invariants of LeaderWorkerSet replicas over random scenarios', () => {
  it('every request ends one way, nodes never overcommit, only leaders serve, rollouts end with an outcome', () => {
    const outcomes = new Map<string, number>();
    let workerLost = 0;
    fc.assert(
      fc.property(lwsCase, (c) => {
        const result = run(c.doc, { collectRequests: true });
        outcomes.set(result.summary.rollout.outcome, (outcomes.get(result.summary.rollout.outcome) ?? 0) + 1);
        workerLost += result.summary.requests.droppedByCause['worker-lost'] ?? 0;
        const found = [accountingViolation(result), timeViolation(result, c.duration), nodeGpuViolation(result, c.tp, 8), workerServed(result), rolloutViolation(result)].filter(
          (v): v is string => v !== null,
        );
        if (found.length > 0) throw new Error(`${found.join('\n')}\nscenario: ${JSON.stringify(c.doc)}`);
      }),
      { seed: FC_SEED, numRuns: 100, endOnFailure: true },
    );
    // The generator reaches both endings and the workers' cut, or the properties are weaker than they look.
    expect(outcomes.get('completed') ?? 0).toBeGreaterThan(0);
    expect(outcomes.get('stalled') ?? 0).toBeGreaterThan(0);
    expect(workerLost).toBeGreaterThan(0);
  });
});
