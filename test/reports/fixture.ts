import { StartupStats } from '../../sim/cluster/startup-stats.js';
import { MetricsRecorder } from '../../sim/metrics/recorder.js';
import type { PodEvent } from '../../sim/cluster/event-log.js';
import type { RequestRecord, RunResult } from '../../sim/run/result.js';
import { makeGauges, makeRequest, servedRequest } from '../metrics/fixtures.js';

export const HOSTILE_NAME = '</script><script>alert(1)</script> | *bold* & "quoted"';

const WINDOW = 10;
const END = 300;
const ROLLOUT_START = 120;
const ROLLOUT_END = 180;

/** Ready replicas of each version at time t: old 4→0 and new 0→4 during the rollout. */
function readyAt(t: number): { old: number; new: number } {
  const progress = Math.min(4, Math.max(0, Math.floor((t - ROLLOUT_START) / 15)));
  return { old: 4 - progress, new: progress };
}

/**
 * A small but complete RunResult: a 5-minute run with a rolling update between t=120 and t=180, a TTFT spike,
 * a few failures of each kind, and the metrics recorder producing the series and the summary figures.
 */
export function syntheticRunResult(name = 'rolling-update-demo', options: { requests?: boolean } = {}): RunResult {
  const slo = { ttftP95: 1, tpotP95: 0.05 };
  const rec = new MetricsRecorder({
    windowSeconds: WINDOW,
    slo,
    rolloutBounds: () => ({ rolloutStart: ROLLOUT_START, rolloutEnd: ROLLOUT_END }),
  });
  for (let t = 0.5; t < END - 2; t += 0.5) {
    const version = t < 150 ? 'old' : 'new';
    const ttft = t > 130 && t <= 160 ? 1.5 : 0.1;
    rec.arrived(t);
    const req = servedRequest(t, ttft, 1, { version, outputTokens: 40 });
    rec.completed(req, req.finishedAt);
  }
  const failures = [
    [140, 'dropped', 'sigterm-abort'],
    [141, 'dropped', 'sigterm-abort'],
    [145, 'rejected', 'no-endpoint'],
    [150, 'timedOut', 'ttft-timeout'],
  ] as const;
  for (const [at, outcome, cause] of failures) {
    rec.arrived(at);
    rec.failed(makeRequest({ firstArrival: at, arrival: at, tokensStreamed: 12, version: 'old' }), at, outcome, cause);
  }
  rec.retried();
  rec.arrived(END - 1);
  for (let t = WINDOW; t <= END; t += WINDOW) {
    const ready = readyAt(t);
    const starting = t >= ROLLOUT_START && t < ROLLOUT_END ? 2 : 0;
    const draining = t >= ROLLOUT_START + 15 && t < ROLLOUT_END + 15 ? 2 : 0;
    const serving = 2 * (ready.old + ready.new);
    rec.sample(
      t,
      makeGauges({
        waiting: t > 130 && t <= 160 ? 12 : 1,
        running: 8,
        gatewayQueue: t > 140 && t <= 150 ? 5 : 0,
        kvUsage: 0.4,
        desiredReplicas: 4,
        readyOld: ready.old,
        readyNew: ready.new,
        endpointsOld: ready.old,
        endpointsNew: ready.new,
        podsOld: ready.old,
        podsNew: ready.new,
        gpusStarting: starting,
        gpusServing: serving,
        gpusDraining: draining,
        gpusHeld: starting + serving + draining,
        gpusAllocatable: 16,
        pendingPods: 0,
        nodes: 2,
        prefixQueryTokens: 4000,
        prefixHitTokens: t > 130 && t <= 160 ? 800 : 2400,
      }),
    );
  }
  rec.finish(END, 1);

  const events: PodEvent[] = [
    { t: 120, pod: 'llm-new-0', version: 'new', node: 'node-1', event: 'Scheduled', reason: '' },
    { t: 135, pod: 'llm-new-0', version: 'new', node: 'node-1', event: 'Ready', reason: 'probe passed' },
    { t: 140, pod: 'llm-old-3', version: 'old', node: 'node-0', event: 'Killed', reason: 'grace period over, "SIGKILL"' },
  ];
  const requests: RequestRecord[] = [
    { id: 1, attempt: 0, version: 'old', pod: 0, arrival: 0.5, firstTokenAt: 0.6, finishedAt: 1.6, promptTokens: 100, outputTokens: 40, tokensStreamed: 40, outcome: 'completed', cause: '' },
    { id: 2, attempt: 0, version: 'old', pod: 3, arrival: 140, firstTokenAt: null, finishedAt: 140, promptTokens: 100, outputTokens: 40, tokensStreamed: 0, outcome: 'rejected', cause: 'no-endpoint' },
  ];
  return {
    summary: {
      scenario: name,
      strategy: 'rolling-update',
      seed: 42,
      simulatedSeconds: END,
      requests: { ...rec.requestsSummary(), expectedDropped: 0.25 },
      latency: rec.latencySummary(),
      rollout: {
        startedAt: ROLLOUT_START,
        finishedAt: ROLLOUT_END,
        durationSeconds: ROLLOUT_END - ROLLOUT_START,
        outcome: 'completed',
        minReadyReplicas: 3,
      },
      capacity: {
        clusterGpus: 16,
        steadyGpus: 8,
        peakGpus: 12,
        surgeGpus: 4,
        pendingPodSeconds: 0,
        gpuHours: 0.7333333,
        nodeGpuHours: 3,
        nodesAdded: 0,
      },
      startup: new StartupStats().summary(),
      prefixCache: rec.prefixCacheSummary(),
      goodput: rec.goodput(),
      risk: { pAnyDrop: 0.2, dropEstimator: 'conditional' },
      engine: { events: 123_456, wallSeconds: 0.25 },
    },
    series: rec.series(),
    events,
    phases: [
      { name: 'surge', start: ROLLOUT_START, end: 150 },
      { name: name === HOSTILE_NAME ? HOSTILE_NAME : 'drain', start: 150, end: ROLLOUT_END },
    ],
    ...(options.requests ? { requests } : {}),
    scenario: { name, hash: 'sha256:0123456789abcdef', slo },
    clusterGpus: 16,
  };
}
