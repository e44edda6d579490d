/**
 * fast-check arbitraries of small, valid scenarios: a cluster of one or two 8-GPU nodes (sometimes with an
 * autoscaler), a fleet that fits it, any rollout strategy with random knobs, random pod termination settings,
 * traffic and clients, and short durations so a run costs tens of milliseconds.
 */
import fc from 'fast-check';
import type { Doc } from '../validation/scenario-kit.js';

export interface RandomScenario {
  doc: Doc;
  /** GPUs of each pod (tensorParallel). */
  tp: number;
  /** Constant endpoint propagation delays, so the endpoint membership of every pod can be rebuilt exactly. */
  propagation: { add: number; remove: number };
  centralQueue: boolean;
  duration: number;
}

const seconds = (min: number, max: number) => fc.integer({ min: min * 10, max: max * 10 }).map((d) => d / 10);
const s = (x: number) => `${x}s`;
const intOrPercent = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 100 }).map((p) => `${p}%`));

const isZero = (v: number | string) => v === 0 || v === '0%';
/** Rolling-update style fenceposts; explicit 0/0 is invalid (Kubernetes validation), so then maxSurge is 1. */
const fenceposts = fc
  .tuple(intOrPercent, intOrPercent)
  .map(([maxSurge, maxUnavailable]) => (isZero(maxSurge) && isZero(maxUnavailable) ? { maxSurge: 1, maxUnavailable } : { maxSurge, maxUnavailable }));

const ANALYSIS = { analysis: { templates: ['errors'] } };
const canaryStep = fc.oneof(
  fc.integer({ min: 0, max: 100 }).map((w) => ({ setWeight: w })),
  seconds(0, 30).map((d) => ({ pause: { duration: s(d) } })),
  fc.constant(ANALYSIS),
);

/** The analysis every strategy may use: the new version's error rate (absent without traffic: an Error measurement). */
const analysisTemplates = fc.record({
  interval: seconds(2, 10),
  extraCount: fc.integer({ min: 1, max: 3 }),
  failureLimit: fc.integer({ min: 0, max: 2 }),
  window: seconds(5, 30),
}).map((m) => ({
  errors: {
    metrics: [
      {
        name: 'error-rate',
        query: 'new.errorRate',
        interval: s(m.interval),
        // Argo: count ≥ failureLimit.
        count: m.failureLimit + m.extraCount,
        failureLimit: m.failureLimit,
        window: s(m.window),
        failureCondition: 'result > 0.02',
      },
    ],
  },
}));

function strategy(replicas: number) {
  return fc.oneof(
    fenceposts.map((f) => ({ rollingUpdate: f })),
    fc.constant({ recreate: {} }),
    fc.record(
      {
        previewReplicaCount: fc.integer({ min: 0, max: replicas }),
        autoPromotionEnabled: fc.boolean(),
        autoPromotionSeconds: seconds(0, 20).map(s),
        scaleDownDelaySeconds: seconds(0, 30).map(s),
        abortScaleDownDelaySeconds: seconds(0, 30).map(s),
        // The preview gets live traffic before the switch only through the mirror (a pre-promotion analysis of
        // new.* without it is refused at load time).
        previewMirrorPercent: fc.integer({ min: 1, max: 100 }),
        prePromotionAnalysis: fc.constant(ANALYSIS.analysis),
        postPromotionAnalysis: fc.constant(ANALYSIS.analysis),
      },
      { requiredKeys: ['scaleDownDelaySeconds', 'previewMirrorPercent'] },
    ).map((bg) => ({ blueGreen: bg })),
    fc
      .record({
        steps: fc.array(canaryStep, { maxLength: 4 }),
        trafficRouting: fc.boolean(),
        dynamicStableScale: fc.boolean(),
        scaleDownDelaySeconds: seconds(0, 30).map(s),
        analysis: fc.option(fc.constant(ANALYSIS.analysis), { nil: undefined }),
        fence: fenceposts,
      })
      .map(({ fence, ...c }) => ({ canary: { ...c, ...fence } })),
  );
}

const newVersion = fc.record(
  {
    stepTimeFactor: fc.constantFrom(0.8, 1, 1.5),
    errorRate: fc.constantFrom(0, 0.05),
    crashOnStart: fc.boolean(),
    startupFactor: fc.constantFrom(0.5, 1, 2),
  },
  { requiredKeys: [] },
);

const client = fc.record(
  {
    ttftTimeout: seconds(1, 20).map(s),
    timeout: seconds(5, 60).map(s),
    retries: fc.record({ max: fc.integer({ min: 0, max: 2 }), backoff: fc.record({ base: seconds(0.1, 2).map(s), jitter: fc.constantFrom(0, 0.2) }) }),
  },
  { requiredKeys: [] },
);

export const randomScenario: fc.Arbitrary<RandomScenario> = fc
  .record({
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    llm: fc.boolean(),
    tp: fc.constantFrom(1, 2, 4),
    nodes: fc.integer({ min: 1, max: 2 }),
    extraNodes: fc.integer({ min: 0, max: 1 }),
    fill: fc.double({ min: 0.2, max: 1, noNaN: true }),
    rolloutAt: seconds(2, 40),
    rolloutSpan: seconds(20, 150),
    grace: seconds(0, 40),
    preStop: seconds(0, 20),
    shutdownTimeout: seconds(0, 30),
    minReady: fc.constantFrom(0, 0, 2, 5),
    probePeriod: fc.constantFrom(1, 2, 5, 10),
    weightLoad: seconds(1, 20),
    rate: seconds(0.5, 20),
    policy: fc.constantFrom('least-outstanding', 'round-robin', 'random', 'power-of-two', 'central-queue'),
    propagation: fc.record({ add: seconds(0, 3), remove: seconds(0, 4) }),
    deadline: seconds(15, 200),
    newVersion,
    client,
    abortAt: fc.option(seconds(0, 60), { nil: undefined }),
    analysisTemplates,
  })
  .chain((r) => {
    const gpus = r.nodes * 8;
    const replicas = Math.max(1, Math.min(6, Math.floor((gpus / r.tp) * r.fill)));
    return strategy(replicas).map((strat) => ({ r, replicas, strat }));
  })
  .map(({ r, replicas, strat }) => {
    const duration = Math.round((r.rolloutAt + r.rolloutSpan) * 10) / 10;
    const server = r.llm
      ? { maxNumSeqs: 32, maxNumBatchedTokens: 2048, shutdownTimeout: s(r.shutdownTimeout) }
      : { model: 'queue', serviceTime: { exponential: { mean: '200ms' } }, concurrency: 4 };
    const autoscaler =
      r.extraNodes === 0
        ? 'none'
        : { cloud: 'generic', scanInterval: '5s', scaleUpDelay: '0s', nodeReady: '20s', gpuAllocatable: '10s' };
    const doc: Doc = {
      apiVersion: 'rollout-sim/v1alpha1',
      kind: 'Scenario',
      metadata: { name: 'prop' },
      spec: {
        seed: r.seed,
        duration: s(duration),
        cluster: {
          nodePools: [{ name: 'a', gpu: 'h100-80gb', gpusPerNode: 8, nodes: r.nodes, maxNodes: r.nodes + r.extraNodes }],
          autoscaler,
          endpointPropagation: { add: s(r.propagation.add), remove: s(r.propagation.remove) },
        },
        model: { name: 'llama-3.1-8b', tensorParallel: r.tp },
        server,
        startup: {
          imagePull: '0s',
          processStart: '1s',
          weightLoad: { uniform: { min: s(r.weightLoad / 2), max: s(r.weightLoad) } },
          compile: '0s',
          graphCapture: '1s',
          kvProfile: '0s',
          warmup: '0s',
        },
        deployment: {
          replicas,
          readinessProbe: { periodSeconds: r.probePeriod },
          preStop: { sleep: s(r.preStop) },
          terminationGracePeriodSeconds: r.grace,
          minReadySeconds: r.minReady,
        },
        rollout: {
          at: s(r.rolloutAt),
          strategy: strat,
          newVersion: r.newVersion,
          progressDeadlineSeconds: s(r.deadline),
          analysisTemplates: r.analysisTemplates,
          ...(r.abortAt === undefined ? {} : { abortAt: s(r.rolloutAt + r.abortAt) }),
        },
        traffic: {
          arrival: { poisson: { rate: `${r.rate}/s` } },
          promptTokens: { lognormal: { p50: 200, p90: 600 } },
          outputTokens: { lognormal: { p50: 30, p90: 90 } },
          maxPromptTokens: 4000,
          maxOutputTokens: 300,
          client: r.client,
        },
        routing: { policy: r.policy },
        metrics: { windowSeconds: '5s' },
      },
    };
    return { doc, tp: r.tp, propagation: r.propagation, centralQueue: r.policy === 'central-queue', duration };
  });
