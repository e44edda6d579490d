import type { ClusterSummary } from '../cluster/cluster.js';
import type { MetricsRecorder } from '../metrics/recorder.js';
import type { DisaggregationSummary, GroupsSummary, Summary } from '../metrics/summary-types.js';
import type { HorizontalAutoscaler } from '../rollout/autoscaler-loop.js';
import type { RolloutState } from '../rollout/controller.js';
import type { DropRiskEstimator } from './drop-risk.js';
import type { GatewayStats } from '../routing/router.js';
import { summariseLora, type LoraStats } from '../serving/lora.js';
import type { ResolvedRun } from './resolve.js';
import { NOT_STALLED, type StallVerdict } from './verdict.js';

/** What the run measured beyond the recorder's own figures. */
export interface RunFacts {
  readonly rollout: RolloutState | null;
  readonly minReadyReplicas: number | null;
  /** GPUs held when the rollout started (or after the initial fleet was placed, without a rollout). */
  readonly steadyGpus: number;
  readonly cluster: ClusterSummary;
  readonly gateway: GatewayStats;
  /** What the HPA did; null without deployment.autoscaling. */
  readonly autoscaler: HorizontalAutoscaler | null;
  /** The replicas' LoRA statistics, when requests name adapters. */
  readonly lora: LoraStats | null;
  readonly events: number;
  readonly wallSeconds: number;
  readonly dropRisk: DropRiskEstimator;
  /** Why a stalled rollout is held and what lets it finish (absent: it did not stall). */
  readonly verdict?: StallVerdict;
  /** The prefill role's figures (absent without deployment.disaggregation). */
  readonly disaggregation?: DisaggregationSummary;
  /** The multi-node replicas' figures (absent when no version's replicas are groups). */
  readonly groups?: GroupsSummary;
}

/** The summary contract (docs: README "Outputs") of a finished run. */
export function summarise(run: ResolvedRun, recorder: MetricsRecorder, facts: RunFacts): Summary {
  const state = facts.rollout;
  const rolloutStart = state?.startedAt ?? null;
  const rolloutEnd = state?.finishedAt ?? null;
  const cluster = facts.cluster;
  const requests = recorder.requestsSummary();
  const dropRisk = facts.dropRisk.result(requests.dropped);
  const verdict = facts.verdict ?? NOT_STALLED;
  return {
    scenario: run.name,
    strategy: run.strategy,
    seed: run.seed,
    simulatedSeconds: run.duration,
    requests: { ...requests, expectedDropped: dropRisk.expectedDropped },
    latency: recorder.latencySummary(),
    rollout: {
      startedAt: rolloutStart,
      finishedAt: rolloutEnd,
      durationSeconds: rolloutStart !== null && rolloutEnd !== null ? rolloutEnd - rolloutStart : null,
      outcome: state?.outcome ?? 'none',
      minReadyReplicas: facts.minReadyReplicas,
      ...(state?.reason ? { reason: state.reason } : {}),
      blockedBy: verdict.blockedBy,
      fix: verdict.fix,
    },
    capacity: {
      clusterGpus: cluster.clusterGpus,
      steadyGpus: facts.steadyGpus,
      peakGpus: cluster.peakGpus,
      surgeGpus: Math.max(0, cluster.peakGpus - facts.steadyGpus),
      pendingPodSeconds: cluster.pendingPodSeconds,
      gpuHours: cluster.podGpuHours,
      nodeGpuHours: cluster.nodeGpuHours,
      nodesAdded: cluster.nodesAdded,
      minExtraGpus: verdict.minExtraGpus,
    },
    startup: cluster.startup,
    prefixCache: recorder.prefixCacheSummary(),
    goodput: recorder.goodput(),
    risk: { pAnyDrop: dropRisk.pAnyDrop, dropEstimator: dropRisk.estimator },
    gateway: { ...facts.gateway },
    ...(facts.autoscaler === null ? {} : { autoscaling: facts.autoscaler.stats(rolloutStart, rolloutEnd) }),
    ...(facts.lora === null
      ? {}
      : { lora: summariseLora(facts.lora, run.adapterRule, cluster.podGpuHours - (facts.steadyGpus * run.duration) / 3600) }),
    ...(facts.disaggregation === undefined ? {} : { disaggregation: facts.disaggregation }),
    ...(facts.groups === undefined ? {} : { groups: facts.groups }),
    engine: { events: facts.events, wallSeconds: facts.wallSeconds },
  };
}
