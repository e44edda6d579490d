import type { ClusterBlockage } from '../cluster/cluster.js';
import type { PodEvent } from '../cluster/event-log.js';
import type { BlockedBy } from '../metrics/summary-types.js';
import type { RolloutPhase } from '../rollout/driver.js';

/** The verdict fields a stalled run's summary carries. */
export interface StallVerdict {
  readonly blockedBy: BlockedBy | 'none';
  readonly fix: string | null;
  readonly minExtraGpus: number | null;
}

export const NOT_STALLED: StallVerdict = { blockedBy: 'none', fix: null, minExtraGpus: null };

/** Blockers more GPUs (in a pool, the quota or the ClusterQueue) can lift. */
export const CAPACITY_BLOCKERS: readonly BlockedBy[] = ['gpu-capacity', 'quota', 'kueue', 'stockout'];

/** A controller phase that waits on an analysis or an operator's promote. */
const WAITING_PHASE = /pause|analysis/;

/**
 * Why a rollout that ended stalled is held, from what holds the cluster's pods at that instant and the
 * controller's open phase. First match wins, most specific first: a version that cannot start (crash loop) is
 * the cause whatever else waits; pods the quota refused or Kueue gates never reach the scheduler, so they come
 * before pods waiting for a node; those wait on a stockout when their pool's VM requests failed recently, else
 * on capacity (the pool is at maxNodes, or cannot grow). An image still being pulled holds a rollout only once
 * its progress deadline has passed (`deadlineExceeded`): pulls here always finish, so a rollout the run's end cut
 * short mid-pull is unfinished, not blocked.
 */
export function classifyStall(blockage: ClusterBlockage, openPhase: string | null, deadlineExceeded: boolean): BlockedBy | 'none' {
  if (blockage.crashLooping > 0) return 'crash-loop';
  if (blockage.quotaRefused > 0) return 'quota';
  if (blockage.gatedPods > 0) return 'kueue';
  if (blockage.unschedulablePods > 0) return blockage.stockedOut ? 'stockout' : 'gpu-capacity';
  if (blockage.pullingImages > 0 && deadlineExceeded) return 'image-pull';
  if (openPhase !== null && WAITING_PHASE.test(openPhase)) return 'analysis-paused';
  return 'none';
}

/** The name of the rollout phase still open (the controller's current one), or null. */
export function openPhase(phases: readonly RolloutPhase[]): string | null {
  for (let i = phases.length - 1; i >= 0; i--) if (Number.isNaN(phases[i].end)) return phases[i].name;
  return null;
}

/** The event a blocker leaves in the pod event log: what `kubectl describe` would show for it. */
const EVIDENCE: Readonly<Partial<Record<BlockedBy, string>>> = {
  'gpu-capacity': 'FailedScheduling',
  quota: 'FailedCreate',
  kueue: 'SchedulingGated',
  stockout: 'FailedScaleUp',
  'crash-loop': 'BackOff',
};

/** The latest event that shows the blocker at work, as `Event: message`, or null. */
export function blockerEvidence(blockedBy: BlockedBy | 'none', events: readonly PodEvent[]): string | null {
  const name = blockedBy === 'none' ? undefined : EVIDENCE[blockedBy];
  if (name === undefined) return null;
  for (let i = events.length - 1; i >= 0; i--) if (events[i].event === name) return `${name}: ${events[i].reason}`;
  return null;
}
