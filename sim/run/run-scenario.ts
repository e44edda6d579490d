import { performance } from 'node:perf_hooks';
import { Cluster } from '../cluster/cluster.js';
import type { ReplicaSet } from '../cluster/replicaset.js';
import { resolveClusterConfig, resolvePodFaults, resolvePodResources, resolvePodSettings, resolveStartupInput } from '../cluster/schema.js';
import { resolveStartup } from '../cluster/startup-spec.js';
import { makePodTemplate, modelFactsOf, type PodTemplate } from '../cluster/template.js';
import { RandomStreams } from '../engine/random.js';
import { Simulator, type SimulatorLimits } from '../engine/simulator.js';
import { InternalError } from '../errors.js';
import { MetricsRecorder, type Gauges } from '../metrics/recorder.js';
import type { SeriesRow } from '../metrics/series.js';
import type { Summary } from '../metrics/summary-types.js';
import type { RolloutController } from '../rollout/controller.js';
import { createController, routesByWeight, strategyName } from '../rollout/create-controller.js';
import type { RolloutHost } from '../rollout/host.js';
import { routerOptions } from '../routing/config.js';
import { Router } from '../routing/router.js';
import type { LoadedScenario } from '../scenario/load.js';
import { TrafficSource } from '../traffic/source.js';
import type { OutcomeListener } from '../traffic/outcome.js';
import type { Request, VersionRole } from '../traffic/request.js';
import { buildServing, type VersionBehaviour } from './build-serving.js';
import { checkRunSize } from './size-budget.js';
import type { PodEvent } from '../cluster/event-log.js';
import type { RequestRecord, RolloutPhase, RunResult } from './result.js';

export interface RunOptions {
  /** Overrides spec.seed. */
  seed?: number;
  limits?: Partial<SimulatorLimits>;
  /** Keep one record per finished request (requests.csv); memory then grows with the requests. */
  collectRequests?: boolean;
  /**
   * Receives each window's row of the time series as soon as the window is final, in order: where to stream
   * timeseries.csv from. RunResult.series merges adjacent windows on runs of more than MAX_SERIES_POINTS windows.
   */
  onWindow?: (row: SeriesRow) => void;
}

/** A controller that keeps changing things at one instant is a bug; stop rather than spin. */
const MAX_SYNCS_PER_INSTANT = 10_000;

/**
 * Runs one scenario: builds the cluster, the serving fleet, traffic, routing and the rollout controller on one
 * event loop, runs it for spec.duration and returns the summary, the time series and the event log.
 * Deterministic: the same scenario and seed give the same result (only engine.wallSeconds differs).
 */
export function runScenario(loaded: LoadedScenario, options: RunOptions = {}): RunResult {
  return prepareRun(loaded, options).run();
}

/**
 * Builds everything a run needs — model fit, catalogs, cluster, initial fleet, controller, analysis templates —
 * without simulating: every input error a run could hit surfaces here (what `validate` checks).
 */
export function prepareRun(loaded: LoadedScenario, options: RunOptions = {}): { run(): RunResult } {
  const wallStart = performance.now();
  const { scenario, baseDir } = loaded;
  const spec = scenario.spec;
  checkRunSize(spec, baseDir);
  const seed = options.seed ?? spec.seed;
  const duration = spec.duration;
  const sim = new Simulator(options.limits);
  const streams = new RandomStreams(seed);
  const windowSeconds = spec.metrics.windowSeconds;
  const queryReach = longestAnalysisWindow(spec);
  const recorder = new MetricsRecorder({
    windowSeconds,
    slo: spec.slo,
    queryReach,
    duration,
    onWindow: options.onWindow,
    rolloutBounds: () => ({ rolloutStart: controller?.state.startedAt ?? null, rolloutEnd: controller?.state.finishedAt ?? null }),
  });
  const mirrors = new MetricsRecorder({ windowSeconds, slo: {}, mirrors: true, queryReach });
  const events: PodEvent[] = [];
  const phases: RolloutPhase[] = [];

  const newVersion = spec.rollout?.newVersion;
  const behaviour: Record<VersionRole, VersionBehaviour> = {
    old: { stepTimeFactor: 1, errorRate: 0 },
    new: { stepTimeFactor: newVersion?.stepTimeFactor ?? 1, errorRate: newVersion?.errorRate ?? 0 },
  };
  const serving = buildServing(spec, baseDir, sim, streams, behaviour);

  let controller: RolloutController | null = null;
  let syncPending = false;
  const wakeTimes = new Set<number>();
  const syncHandler = sim.handler(() => {
    syncPending = false;
    wakeTimes.delete(sim.now);
    if (!controller) return;
    let passes = 0;
    while (controller.sync()) {
      if (++passes > MAX_SYNCS_PER_INSTANT) {
        throw new InternalError(`rollout controller did not settle at t=${sim.now}s after ${passes} syncs`);
      }
    }
    trackReady();
  });
  const requestSync = (): void => {
    if (syncPending || !controller) return;
    syncPending = true;
    sim.atLate(sim.now, syncHandler);
  };

  let router: Router | null = null;
  const cluster = new Cluster(sim, streams, resolveClusterConfig(spec.cluster, baseDir, 'spec.cluster'), {
    statusChanged: requestSync,
    endpointsChanged: () => router?.notifyCapacity(),
    podEvent: (e) => events.push(e),
  });

  const modelFacts = modelFactsOf(serving.model.architecture, serving.model.weightDtype);
  const startupInput = resolveStartupInput(spec.startup, baseDir, 'spec.startup');
  const podSettings = resolvePodSettings(spec.deployment);
  const resources = resolvePodResources(spec.deployment.resources);
  const listenAt = spec.server.model === 'queue' ? 'engine-ready' : spec.server.listenAt;
  const shutdownTimeout = spec.server.model === 'queue' ? 0 : spec.server.shutdownTimeout;
  const template = (version: VersionRole): PodTemplate =>
    makePodTemplate({
      name: `${scenario.metadata.name}-${version}`.replace(/[^a-z0-9-]/gi, '-').toLowerCase(),
      version,
      model: modelFacts,
      gpu: serving.gpu.name,
      tensorParallel: serving.model.tensorParallel,
      startup: resolveStartup(startupInput, modelFacts, 'spec.startup'),
      pod: podSettings,
      listenAt,
      shutdownTimeout,
      resources,
      faults:
        version === 'new' && newVersion
          ? resolvePodFaults({ crashOnStart: newVersion.crashOnStart, startupFactor: newVersion.startupFactor, extraLoadSeconds: 0 })
          : undefined,
      createServer: (podId, { warm }) => serving.createServer(podId, version, warm, routerOf()),
    });
  const routerOf = (): Router => {
    if (!router) throw new InternalError('a server started before the router exists');
    return router;
  };

  const requests: RequestRecord[] | undefined = options.collectRequests ? [] : undefined;
  const outcomes = requests ? recordingRequests(recorder, requests) : recorder;
  const traffic = new TrafficSource(sim, streams, spec.traffic, outcomes, baseDir);
  router = new Router(sim, streams, cluster, traffic.client, routerOptions(spec.routing), {
    mirrored: (_req, at) => mirrors.arrived(at),
    completed: (req, at) => mirrors.completed(req, at),
    failed: (req, at, outcome, cause) => mirrors.failed(req, at, outcome, cause),
  });
  cluster.setRequestSink(router);

  const replicas = spec.deployment.replicas;
  const stable = cluster.createReplicaSet(template('old'));
  cluster.initialFleet(stable, replicas, { cold: spec.coldStart });
  if (!routesByWeight(spec.rollout)) router.setSplit('pods');

  // Rollout
  const rollout = spec.rollout;
  let steadyGpus = cluster.stats().gpusHeld;
  let minReady: number | null = null;
  const trackReady = (): void => {
    const state = controller?.state;
    if (!state || state.startedAt === null || state.finishedAt !== null) return;
    const s = cluster.stats();
    const ready = s.readyOld + s.readyNew;
    if (minReady === null || ready < minReady) minReady = ready;
  };
  // Gateway changes (selector switch, weights, mirrors) land after a fixed delay, so in FIFO order.
  const gatewayDelay = spec.routing.gatewayPropagation;
  const gatewayChanges: (() => void)[] = [];
  const applyGatewayChange = sim.handler(() => gatewayChanges.shift()?.());
  if (rollout) {
    const host = makeHost(sim, cluster, router, recorder, mirrors, {
      wakeAt: (t) => {
        if (wakeTimes.has(t)) return;
        wakeTimes.add(t);
        sim.atLate(t, syncHandler);
      },
      phase: (name) => {
        const phase = { name, start: sim.now, end: Number.NaN };
        phases.push(phase);
        return () => {
          if (Number.isNaN(phase.end)) phase.end = sim.now;
        };
      },
      log: (event, reason) => events.push({ t: sim.now, pod: '', version: 'new', node: '', event, reason }),
      createReplicaSet: (version) => cluster.createReplicaSet(template(version)),
      atGateway: (change) => {
        if (gatewayDelay === 0) {
          change();
          return;
        }
        gatewayChanges.push(change);
        sim.after(gatewayDelay, applyGatewayChange);
      },
      gatewayDelay,
    });
    const created = createController(rollout, host, stable, replicas);
    sim.at(rollout.at, sim.handler(() => {
      steadyGpus = cluster.stats().gpusHeld;
      controller = created;
      created.start();
      trackReady();
      requestSync();
    }));
    const promote = sim.handler(() => controller?.promote());
    for (const t of rollout.promoteAt) sim.at(t, promote);
    if (rollout.abortAt !== undefined) sim.at(rollout.abortAt, sim.handler(() => controller?.abort('aborted by the operator (spec.rollout.abortAt)')));
  }

  // Time series: one sample per window end.
  const sampleHandler = sim.handler(() => {
    const windowGauges = gauges(cluster, router as Router);
    recorder.sample(sim.now, windowGauges);
    mirrors.sample(sim.now, windowGauges);
    const next = sim.now + windowSeconds;
    if (next < duration) sim.at(next, sampleHandler);
  });
  if (windowSeconds < duration) sim.at(windowSeconds, sampleHandler);

  return {
    run: () => {
      traffic.start(routerOf());
      sim.run(duration);
      return finishRun();
    },
  };

  function finishRun(): RunResult {
    // The last (possibly short) window ends with the run.
    for (const pod of cluster.pods) pod.server?.materialise();
    const lastGauges = gauges(cluster, routerOf());
    recorder.sample(duration, lastGauges);
    mirrors.sample(duration, lastGauges);
    controller?.finish();
    recorder.finish(duration, traffic.client.inFlight);
    for (const phase of phases) if (Number.isNaN(phase.end)) phase.end = duration;

    const state = controller?.state ?? null;
    const rolloutStart = state?.startedAt ?? null;
    const rolloutEnd = state?.finishedAt ?? null;
    const clusterSummary = cluster.summary();
    const peakGpus = clusterSummary.peakGpus;
    const summary: Summary = {
      scenario: scenario.metadata.name,
      strategy: strategyName(rollout),
      seed,
      simulatedSeconds: duration,
      requests: recorder.requestsSummary(),
      latency: recorder.latencySummary(),
      rollout: {
        startedAt: rolloutStart,
        finishedAt: rolloutEnd,
        durationSeconds: rolloutStart !== null && rolloutEnd !== null ? rolloutEnd - rolloutStart : null,
        outcome: state?.outcome ?? 'none',
        minReadyReplicas: minReady,
        ...(state?.reason ? { reason: state.reason } : {}),
      },
      capacity: {
        clusterGpus: clusterSummary.clusterGpus,
        steadyGpus,
        peakGpus,
        surgeGpus: Math.max(0, peakGpus - steadyGpus),
        pendingPodSeconds: clusterSummary.pendingPodSeconds,
        gpuHours: clusterSummary.podGpuHours,
        nodeGpuHours: clusterSummary.nodeGpuHours,
        nodesAdded: clusterSummary.nodesAdded,
      },
      goodput: recorder.goodput(),
      engine: { events: sim.eventsProcessed, wallSeconds: (performance.now() - wallStart) / 1000 },
    };
    return {
      summary,
      series: recorder.series(),
      events,
      phases,
      scenario: { name: scenario.metadata.name, hash: loaded.hash, slo: spec.slo },
      clusterGpus: clusterSummary.clusterGpus,
      ...(requests ? { requests } : {}),
    };
  }
}

/** How far back rollout analyses read telemetry: the longest window of any analysis metric. */
function longestAnalysisWindow(spec: LoadedScenario['scenario']['spec']): number {
  const templates = Object.values(spec.rollout?.analysisTemplates ?? {});
  return Math.max(0, ...templates.flatMap((template) => template.metrics.map((metric) => metric.window)));
}

/** Passes every outcome on to the recorder and keeps a row per finished request. */
function recordingRequests(recorder: MetricsRecorder, rows: RequestRecord[]): OutcomeListener {
  const row = (req: Request, at: number, outcome: RequestRecord['outcome'], cause: string): RequestRecord => ({
    id: req.logicalId,
    attempt: req.attempt,
    version: req.version ?? '',
    pod: req.podId,
    arrival: req.firstArrival,
    firstTokenAt: Number.isNaN(req.firstTokenAt) ? null : req.firstTokenAt,
    finishedAt: at,
    promptTokens: req.promptTokens,
    outputTokens: req.outputTokens,
    tokensStreamed: req.tokensStreamed,
    outcome,
    cause,
  });
  return {
    arrived: (at) => recorder.arrived(at),
    retried: () => recorder.retried(),
    completed: (req, at) => {
      recorder.completed(req, at);
      rows.push(row(req, at, 'completed', ''));
    },
    failed: (req, at, outcome, cause) => {
      recorder.failed(req, at, outcome, cause);
      rows.push(row(req, at, outcome, cause));
    },
  };
}

function gauges(cluster: Cluster, router: Router): Gauges {
  const s = cluster.stats();
  let waiting = 0;
  let running = 0;
  let kv = 0;
  let serving = 0;
  for (const pod of cluster.pods) {
    const server = pod.server;
    if (!server || !pod.holdsResources) continue;
    waiting += server.waitingCount();
    running += server.runningCount();
    kv += server.kvUsage();
    serving++;
  }
  return {
    waiting,
    running,
    gatewayQueue: router.queued,
    kvUsage: serving === 0 ? 0 : kv / serving,
    readyOld: s.readyOld,
    readyNew: s.readyNew,
    endpointsOld: s.endpointsOld,
    endpointsNew: s.endpointsNew,
    podsOld: s.podsOld,
    podsNew: s.podsNew,
    gpusStarting: s.gpusStarting,
    gpusServing: s.gpusServing,
    gpusDraining: s.gpusDraining,
    gpusHeld: s.gpusHeld,
    gpusAllocatable: s.gpusAllocatable,
    pendingPods: s.pendingPods,
    nodes: s.nodes,
  };
}

interface HostHooks {
  wakeAt(t: number): void;
  /** Applies a gateway change after the propagation delay, in the order the changes were made. */
  atGateway(change: () => void): void;
  gatewayDelay: number;
  phase(name: string): () => void;
  log(event: string, reason: string): void;
  createReplicaSet(version: VersionRole): ReplicaSet;
}

function makeHost(
  sim: Simulator,
  cluster: Cluster,
  router: Router,
  recorder: MetricsRecorder,
  mirrors: MetricsRecorder,
  hooks: HostHooks,
): RolloutHost {
  return {
    now: () => sim.now,
    createReplicaSet: hooks.createReplicaSet,
    setReplicas: (rs, n) => cluster.setReplicas(rs, n),
    status: (rs) => cluster.status(rs),
    setSplit: (split) => hooks.atGateway(() => router.setSplit(split)),
    setMirror: (mirror) => hooks.atGateway(() => router.setMirror(mirror)),
    gatewayDelay: hooks.gatewayDelay,
    telemetry: (source, from, to) =>
      source === 'shadow' ? mirrors.query('new', from, to) : recorder.query(source, from, to),
    wakeAt: hooks.wakeAt,
    beginPhase: hooks.phase,
    log: hooks.log,
  };
}

