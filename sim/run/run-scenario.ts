import { performance } from 'node:perf_hooks';
import { Cluster } from '../cluster/cluster.js';
import type { PodEvent } from '../cluster/event-log.js';
import { makePodTemplate, type PodTemplate } from '../cluster/template.js';
import { RandomStreams } from '../engine/random.js';
import { Simulator, type SimulatorLimits } from '../engine/simulator.js';
import { InternalError } from '../errors.js';
import { MetricsRecorder } from '../metrics/recorder.js';
import type { SeriesRow } from '../metrics/series.js';
import { createController } from '../rollout/create-controller.js';
import { RolloutDriver } from '../rollout/driver.js';
import { GatewayPropagation } from '../routing/propagation.js';
import { Router } from '../routing/router.js';
import type { LoadedScenario } from '../scenario/load.js';
import { LoraStats, type AdapterLoadListener } from '../serving/lora.js';
import { serverFactory } from '../serving/setup.js';
import { TrafficSource } from '../traffic/source.js';
import type { VersionRole } from '../traffic/request.js';
import { gauges } from './gauges.js';
import { recordingRequests } from './request-records.js';
import { resolveRun, type ResolvedRun } from './resolve.js';
import type { RequestRecord, RunResult } from './result.js';
import { summarise } from './summary.js';

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

/**
 * Runs one scenario: builds the cluster, the serving fleet, traffic, routing and the rollout controller on one
 * event loop, runs it for spec.duration and returns the summary, the time series and the event log.
 * Deterministic: the same scenario and seed give the same result (only engine.wallSeconds differs).
 */
export function runScenario(loaded: LoadedScenario, options: RunOptions = {}): RunResult {
  return prepareRun(loaded, options).run();
}

/**
 * Resolves the scenario (every default, model fit, catalogs, analysis templates) and builds the simulation
 * without running it: every input error a run could hit surfaces here (what `validate` checks).
 */
export function prepareRun(loaded: LoadedScenario, options: RunOptions = {}): { run(): RunResult } {
  const wallStart = performance.now();
  const resolved = resolveRun(loaded, options.seed);
  const built = buildRun(resolved, options);
  return {
    run: () => {
      built.traffic.start(built.router);
      built.sim.run(resolved.duration);
      return finishRun(resolved, built, wallStart);
    },
  };
}

/** The simulation of one run, wired and ready to start. */
interface BuiltRun {
  readonly sim: Simulator;
  readonly cluster: Cluster;
  readonly router: Router;
  readonly traffic: TrafficSource;
  readonly recorder: MetricsRecorder;
  readonly mirrors: MetricsRecorder;
  readonly driver: RolloutDriver | null;
  readonly events: PodEvent[];
  readonly requests: RequestRecord[] | undefined;
  /** GPUs held once the initial fleet is placed. */
  readonly initialGpus: number;
  /** What the replicas' LoRA adapters came to; null when no request names one. */
  readonly lora: LoraStats | null;
}

function buildRun(run: ResolvedRun, options: RunOptions): BuiltRun {
  const sim = new Simulator(options.limits);
  const streams = new RandomStreams(run.seed);
  const { windowSeconds, duration } = run;
  let router: Router | null = null;
  let driver: RolloutDriver | null = null;
  const recorder = new MetricsRecorder({
    windowSeconds,
    slo: run.slo,
    queryReach: run.analysisReach,
    duration,
    onWindow: options.onWindow,
    rolloutBounds: () => ({ rolloutStart: driver?.state?.startedAt ?? null, rolloutEnd: driver?.state?.finishedAt ?? null }),
  });
  const mirrors = new MetricsRecorder({ windowSeconds, slo: {}, mirrors: true, queryReach: run.analysisReach });
  const events: PodEvent[] = [];
  const lora = run.adapters.length > 0 ? new LoraStats(run.adapters, adapterLoadLog(run, sim, events)) : null;
  const createServer = serverFactory(run.serving, sim, streams, run.behaviour, lora);

  const routerOf = (): Router => {
    if (!router) throw new InternalError('a server started before the router exists');
    return router;
  };
  const cluster = new Cluster(sim, streams, run.cluster, {
    statusChanged: () => driver?.requestSync(),
    endpointsChanged: () => router?.notifyCapacity(),
    podEvent: (e) => events.push(e),
  });
  const template = (version: VersionRole): PodTemplate =>
    makePodTemplate({ ...run.templates[version], createServer: (podId, { warm }) => createServer(podId, version, warm, routerOf()) });
  const templates = { old: template('old'), new: template('new') };

  const requests: RequestRecord[] | undefined = options.collectRequests ? [] : undefined;
  const traffic = new TrafficSource(sim, streams, run.traffic, requests ? recordingRequests(recorder, requests) : recorder, run.baseDir);
  const liveRouter = new Router(sim, streams, cluster, traffic.client, run.router, {
    mirrored: (_req, at) => mirrors.arrived(at),
    completed: (req, at) => mirrors.completed(req, at),
    failed: (req, at, outcome, cause) => mirrors.failed(req, at, outcome, cause),
  });
  router = liveRouter;
  cluster.setRequestSink(liveRouter);
  if (run.adapterRule !== null) liveRouter.setAdapterRewrite(run.adapterRule);

  const stable = cluster.createReplicaSet(templates.old);
  cluster.initialFleet(stable, run.fleet.replicas, { cold: run.fleet.cold });
  if (run.routing === 'pods') liveRouter.setSplit('pods');
  const initialGpus = cluster.stats().gpusHeld;

  const gateway = new GatewayPropagation(sim, run.gatewayDelay);
  if (run.rollout) {
    const rolloutDriver = new RolloutDriver(sim, {
      cluster,
      router: liveRouter,
      gateway,
      createReplicaSet: (version) => cluster.createReplicaSet(templates[version]),
      telemetry: (source, from, to) => (source === 'shadow' ? mirrors.query('new', from, to) : recorder.query(source, from, to)),
      log: (e) => events.push(e),
    });
    rolloutDriver.schedule(createController(run.rollout.spec, rolloutDriver.host(), stable, run.fleet.replicas), run.rollout.schedule);
    driver = rolloutDriver;
  }

  // Time series: one sample per window end.
  const sampleHandler = sim.handler(() => {
    const windowGauges = gauges(cluster, liveRouter);
    recorder.sample(sim.now, windowGauges);
    mirrors.sample(sim.now, windowGauges);
    const next = sim.now + windowSeconds;
    if (next < duration) sim.at(next, sampleHandler);
  });
  if (windowSeconds < duration) sim.at(windowSeconds, sampleHandler);

  return { sim, cluster, router: liveRouter, traffic, recorder, mirrors, driver, events, requests, initialGpus, lora };
}

/** Adapter loads as rows of the event log: the pod (named as the cluster names it), the adapter and its source. */
function adapterLoadLog(run: ResolvedRun, sim: Simulator, events: PodEvent[]): AdapterLoadListener {
  return (podId, version, adapter, source) =>
    events.push({ t: sim.now, pod: `${run.templates[version].name}-${podId}`, version, node: '', event: 'AdapterLoad', reason: `${run.adapters[adapter]} from ${source}` });
}

function finishRun(run: ResolvedRun, built: BuiltRun, wallStart: number): RunResult {
  const { sim, cluster, router, recorder, mirrors, driver } = built;
  const duration = run.duration;
  // The last (possibly short) window ends with the run.
  for (const pod of cluster.pods) pod.server?.materialise();
  const lastGauges = gauges(cluster, router);
  recorder.sample(duration, lastGauges);
  mirrors.sample(duration, lastGauges);
  driver?.finish(duration);
  recorder.finish(duration, built.traffic.client.inFlight);
  const clusterSummary = cluster.summary();
  const summary = summarise(run, recorder, {
    rollout: driver?.state ?? null,
    minReadyReplicas: driver?.minReadyReplicas ?? null,
    steadyGpus: driver?.gpusAtStart ?? built.initialGpus,
    cluster: clusterSummary,
    lora: built.lora,
    events: sim.eventsProcessed,
    wallSeconds: (performance.now() - wallStart) / 1000,
  });
  return {
    summary,
    series: recorder.series(),
    events: built.events,
    phases: driver?.phases ?? [],
    scenario: { name: run.name, hash: run.hash, slo: run.slo },
    clusterGpus: clusterSummary.clusterGpus,
    ...(built.requests ? { requests: built.requests } : {}),
  };
}
