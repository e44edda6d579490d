/**
 * Wires one run's simulation on one event loop: the cluster and its initial fleet, the serving pods, traffic,
 * the router and gateway, the rollout driver and controller, the window sampler. Nothing runs until the caller
 * starts traffic and the loop (a full run) or only the loop (preflight: the rollout without traffic).
 */
import { Cluster } from '../cluster/cluster.js';
import type { PodEvent } from '../cluster/event-log.js';
import { makePodTemplate, type PodTemplate } from '../cluster/template.js';
import { RandomStreams } from '../engine/random.js';
import { Simulator, type SimulatorLimits } from '../engine/simulator.js';
import { InternalError } from '../errors.js';
import { MetricsRecorder } from '../metrics/recorder.js';
import type { SeriesRow } from '../metrics/series.js';
import { createController } from '../rollout/create-controller.js';
import { HorizontalAutoscaler } from '../rollout/autoscaler-loop.js';
import { RolloutDriver } from '../rollout/driver.js';
import { PreviewTraffic } from '../routing/preview-traffic.js';
import { GatewayPropagation } from '../routing/propagation.js';
import { Router } from '../routing/router.js';
import { PrefixCacheTally } from '../serving/prefix-tally.js';
import { LoraStats, type AdapterLoadListener } from '../serving/lora.js';
import { podRefusalSink } from '../routing/prefill-dispatch.js';
import type { Server } from '../serving/server.js';
import { serverFactory, type FleetHooks } from '../serving/setup.js';
import { warmupPrefixes } from '../serving/warmup.js';
import { TrafficSource } from '../traffic/source.js';
import type { VersionRole } from '../traffic/request.js';
import { gauges, PrefixWindowCounts } from './gauges.js';
import { DropRiskEstimator } from './drop-risk.js';
import { DisaggregatedFleet } from './disaggregated-fleet.js';
import { recordingRequests } from './request-records.js';
import type { ResolvedRun } from './resolve.js';
import type { RequestRecord } from './result.js';

export interface BuildOptions {
  limits?: Partial<SimulatorLimits>;
  /** Keep one record per finished request (requests.csv); memory then grows with the requests. */
  collectRequests?: boolean;
  /**
   * Receives each window's row of the time series as soon as the window is final, in order: where to stream
   * timeseries.csv from. RunResult.series merges adjacent windows on runs of more than MAX_SERIES_POINTS windows.
   */
  onWindow?: (row: SeriesRow) => void;
}

/** The simulation of one run, wired and ready to start. */
export interface BuiltRun {
  readonly sim: Simulator;
  readonly cluster: Cluster;
  readonly router: Router;
  readonly traffic: TrafficSource;
  readonly recorder: MetricsRecorder;
  readonly mirrors: MetricsRecorder;
  readonly driver: RolloutDriver | null;
  readonly events: PodEvent[];
  readonly requests: RequestRecord[] | undefined;
  readonly dropRisk: DropRiskEstimator;
  /** GPUs held once the initial fleet is placed. */
  readonly initialGpus: number;
  readonly prefixWindow: PrefixWindowCounts;
  /** What the replicas' LoRA adapters came to; null when no request names one. */
  readonly lora: LoraStats | null;
  /** deployment.autoscaling's HPA; null without one. */
  readonly autoscaler: HorizontalAutoscaler | null;
  /** The workload's spec.replicas now (the autoscaler's, else the Deployment's). */
  desiredReplicas(): number;
  /** deployment.disaggregation's prefill role and prefill stage; null without it. */
  readonly disaggregation: DisaggregatedFleet | null;
}

export function buildRun(run: ResolvedRun, options: BuildOptions): BuiltRun {
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
  const prefixTally = new PrefixCacheTally();
  const prefixWindow = new PrefixWindowCounts(prefixTally);
  const fleetHooks: FleetHooks = { prefixTally };
  const lora = run.adapters.length > 0 ? new LoraStats(run.adapters, adapterLoadLog(run, sim, events)) : null;
  const decodeHooks: FleetHooks = run.disaggregation === null ? fleetHooks : { ...fleetHooks, disaggregation: 'prefilled' };
  const oldServers = serverFactory(run.serving.old, sim, streams, run.behaviour, decodeHooks, lora);
  const newServers = run.serving.new === run.serving.old ? oldServers : serverFactory(run.serving.new, sim, streams, run.behaviour, decodeHooks, lora);
  const createServer = (podId: number, version: VersionRole, warm: boolean, sink: Router) => (version === 'old' ? oldServers : newServers)(podId, version, warm, sink);
  // Prompts are prefilled on the prefill pods: their prefix caches are the ones a warm-up fills.
  const prefillHooks: FleetHooks = { prefixTally, disaggregation: 'prefill-only' };
  let pd: DisaggregatedFleet | null = null;

  const routerOf = (): Router => {
    if (!router) throw new InternalError('a server started before the router exists');
    return router;
  };
  const dropRisk = new DropRiskEstimator(duration);
  const cluster = new Cluster(sim, streams, run.cluster, {
    statusChanged: () => {
      driver?.requestSync();
      pd?.statusChanged();
    },
    endpointsChanged: (version) => {
      pd?.roles.refresh(version);
      router?.endpointsChanged();
    },
    podEvent: (e) => events.push(e),
    deleting: (pod) => dropRisk.deleting(pod),
  });
  const decodeServer = (podId: number, version: VersionRole, warm: boolean): Server => {
    const engine = createServer(podId, version, warm, routerOf());
    return pd === null ? engine : pd.decodeServer(engine, routerOf());
  };
  const template = (version: VersionRole): PodTemplate =>
    makePodTemplate({ ...run.templates[version], createServer: (podId, { warm }) => decodeServer(podId, version, warm) });
  const templates = { old: template('old'), new: template('new') };

  const requests: RequestRecord[] | undefined = options.collectRequests ? [] : undefined;
  const outcomes = dropRisk.listen(requests ? recordingRequests(recorder, requests) : recorder);
  const traffic = new TrafficSource(sim, streams, run.traffic, outcomes, run.baseDir);
  dropRisk.bind(traffic.outputSurvival(), (req, outcome) => !traffic.client.retries(req, outcome));
  // Before the first server starts: the warm-up replays the traffic's own prefixes.
  if (run.warmup !== null) fleetHooks.warmPrefixes = prefillHooks.warmPrefixes = warmupPrefixes(run.warmup, traffic.prefix);
  const routerView = cluster.routerView(run.discovery);
  if (run.disaggregation !== null) {
    pd = new DisaggregatedFleet(sim, cluster, routerView, run.disaggregation, run.fleet.replicas, () => rolloutRunning(driver), { streams, behaviour: run.behaviour, hooks: prefillHooks });
  }
  const liveRouter = new Router(sim, streams, pd === null ? routerView : pd.roles.decode, traffic.client, run.router, {
    mirrored: (_req, at) => mirrors.arrived(at),
    completed: (req, at) => mirrors.completed(req, at),
    failed: (req, at, outcome, cause) => mirrors.failed(req, at, outcome, cause),
  });
  router = liveRouter;
  cluster.setRequestSink(pd === null ? liveRouter : podRefusalSink(pd.dispatcher, liveRouter));
  if (run.adapterRule !== null) liveRouter.setAdapterRewrite(run.adapterRule);

  const stable = cluster.createReplicaSet(templates.old);
  cluster.initialFleet(stable, run.fleet.replicas, { cold: run.fleet.cold });
  pd?.placeInitialFleet(run.fleet.cold);
  if (run.routing === 'pods') liveRouter.setSplit('pods');
  const initialGpus = cluster.stats().gpusHeld;

  const gateway = new GatewayPropagation(sim, run.gatewayDelay);
  if (run.rollout) {
    const spec = run.rollout.spec;
    const previewTraffic = spec.previewTraffic ? new PreviewTraffic(sim, streams, spec.previewTraffic, liveRouter, run.baseDir) : null;
    // Blue-green: new.* is everything the new pods served, the preview's test and mirrored requests included (the
    // pods' own metrics, as a Prometheus query by pod label reads them).
    const previewCopies = 'blueGreen' in spec.strategy ? mirrors : null;
    const rolloutDriver = new RolloutDriver(sim, {
      cluster,
      router: liveRouter,
      gateway,
      previewTraffic,
      createReplicaSet: (version) => cluster.createReplicaSet(templates[version]),
      telemetry: (source, from, to) =>
        source === 'shadow'
          ? mirrors.query('new', from, to)
          : recorder.query(source, from, to, source === 'new' ? previewCopies : null),
      log: (e) => events.push(e),
    });
    const host = rolloutDriver.host();
    const controller = pd?.controller(host, stable, run.fleet.replicas, spec.progressDeadlineSeconds) ?? createController(spec, host, stable, run.fleet.replicas);
    rolloutDriver.schedule(controller, run.rollout.schedule);
    driver = rolloutDriver;
  }

  const autoscaler =
    run.autoscaling === null
      ? null
      : new HorizontalAutoscaler(
          sim,
          run.autoscaling,
          run.fleet.replicas,
          {
            pods: () => cluster.pods,
            scale: driver ? (n) => driver?.scale(n) : (n) => cluster.setReplicas(stable, n),
            ttftP95: (from, to) => recorder.query('all', from, to, null).ttft.quantile(0.95),
            gatewayQueued: () => liveRouter.queued,
          },
          duration,
        );
  const desiredReplicas = (): number => autoscaler?.desired ?? run.fleet.replicas;

  // Time series: one sample per window end.
  const sampleHandler = sim.handler(() => {
    prefixWindow.advance();
    const windowGauges = gauges(cluster, liveRouter, prefixWindow, desiredReplicas(), pd?.counts());
    recorder.sample(sim.now, windowGauges);
    mirrors.sample(sim.now, windowGauges);
    const next = sim.now + windowSeconds;
    if (next < duration) sim.at(next, sampleHandler);
  });
  if (windowSeconds < duration) sim.at(windowSeconds, sampleHandler);

  return {
    sim, cluster, router: liveRouter, traffic, recorder, mirrors, driver, events, requests, dropRisk, initialGpus, prefixWindow, lora, autoscaler, desiredReplicas,
    disaggregation: pd,
  };
}

/** The rollout has started and not finished yet. */
function rolloutRunning(driver: RolloutDriver | null): boolean {
  const state = driver?.state;
  return state !== null && state !== undefined && state.startedAt !== null && state.finishedAt === null;
}

/** Adapter loads as rows of the event log: the pod (named as the cluster names it), the adapter and its source. */
function adapterLoadLog(run: ResolvedRun, sim: Simulator, events: PodEvent[]): AdapterLoadListener {
  return (podId, version, adapter, source) =>
    events.push({ t: sim.now, pod: `${run.templates[version].name}-${podId}`, version, node: '', event: 'AdapterLoad', reason: `${run.adapters[adapter]} from ${source}` });
}

