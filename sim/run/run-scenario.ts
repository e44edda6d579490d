import { performance } from 'node:perf_hooks';
import type { LoadedScenario } from '../scenario/load.js';
import { gauges } from './gauges.js';
import { buildRun, type BuildOptions, type BuiltRun } from './build-run.js';
import { resolveRun, type ResolvedRun } from './resolve.js';
import type { RunResult } from './result.js';
import { stallVerdict } from './preflight.js';
import { summarise } from './summary.js';
import { classifyStall, openPhase } from './verdict.js';
import type { PodEvent } from '../cluster/event-log.js';
import type { GroupsSummary } from '../metrics/summary-types.js';

export interface RunOptions extends BuildOptions {
  /** Overrides spec.seed. */
  seed?: number;
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

function finishRun(run: ResolvedRun, built: BuiltRun, wallStart: number): RunResult {
  const { sim, cluster, router, recorder, mirrors, driver } = built;
  const duration = run.duration;
  // The last (possibly short) window ends with the run.
  for (const pod of cluster.pods) pod.server?.materialise();
  built.prefixWindow.advance();
  const lastGauges = gauges(cluster, router, built.prefixWindow, built.desiredReplicas(), built.disaggregation?.counts());
  recorder.sample(duration, lastGauges);
  mirrors.sample(duration, lastGauges);
  // What holds a stalled rollout is read before finish() closes its phases.
  const holding = driver ? classifyStall(cluster.blockage(), openPhase(driver.phases), driver.state?.outcome === 'stalled') : 'none';
  driver?.finish(duration);
  recorder.finish(duration, built.traffic.client.inFlight);
  const clusterSummary = cluster.summary();
  const summary = summarise(run, recorder, {
    rollout: driver?.state ?? null,
    minReadyReplicas: driver?.minReadyReplicas ?? null,
    steadyGpus: driver?.gpusAtStart ?? built.initialGpus,
    cluster: clusterSummary,
    gateway: router.stats(),
    autoscaler: built.autoscaler,
    lora: built.lora,
    events: sim.eventsProcessed,
    wallSeconds: (performance.now() - wallStart) / 1000,
    dropRisk: built.dropRisk,
    verdict: driver?.state?.outcome === 'stalled' ? stallVerdict(run, holding) : undefined,
    disaggregation: built.disaggregation?.summary(),
    groups: groupsSummary(run, built.events),
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

/** The groups' figures, read off the event log; undefined when neither version's replicas are groups. */
function groupsSummary(run: ResolvedRun, events: readonly PodEvent[]): GroupsSummary | undefined {
  const { old, new: next } = run.templates;
  if (old.group == null && next.group == null) return undefined;
  let recreated = 0;
  let rankLosses = 0;
  for (const e of events) {
    if (e.event === 'GroupRecreate') recreated++;
    else if (e.event === 'RankLost') rankLosses++;
  }
  return { size: old.group?.size ?? 1, newSize: next.group?.size ?? 1, recreated, rankLosses };
}
