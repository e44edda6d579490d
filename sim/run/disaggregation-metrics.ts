import type { Pod } from '../cluster/pod.js';
import type { DisaggregationSummary } from '../metrics/summary-types.js';
import type { PrefillStageStats } from '../routing/prefill-dispatch.js';
import { ratioDrift, type RoleCounts } from '../serving/disaggregation.js';

/** Ready replicas (pods, or groups of a multi-node role) of each role per version. */
export interface RoleReadyCounts {
  readonly prefill: RoleCounts;
  readonly decode: RoleCounts;
}

export const NO_ROLES: RoleReadyCounts = { prefill: { old: 0, new: 0 }, decode: { old: 0, new: 0 } };

/** Ready replicas of each role and version: active single pods or leaders Ready, a leader's workers all Ready too. */
export function roleReadyCounts(pods: readonly Pod[], isPrefill: (pod: Pod) => boolean): RoleReadyCounts {
  const prefill = { old: 0, new: 0 };
  const decode = { old: 0, new: 0 };
  for (const pod of pods) {
    if (pod.leader !== null || !pod.active || !pod.groupReady) continue;
    (isPrefill(pod) ? prefill : decode)[pod.version]++;
  }
  return { prefill, decode };
}

/**
 * Follows each version's prefill:decode ready-pod ratio while the rollout runs, read at every status change of
 * the cluster (readiness changes and pods going are among them): its range per version, and the largest drift
 * from the ratio the fleet was sized for (serving/disaggregation.ts ratioDrift, in prefill pods).
 */
export class RatioTracker {
  private readonly min = { old: Infinity, new: Infinity };
  private readonly max = { old: -Infinity, new: -Infinity };
  private drift: number | null = null;

  constructor(
    private readonly prefillReplicas: number,
    private readonly decodeReplicas: number,
  ) {}

  observe(counts: RoleReadyCounts): void {
    for (const v of ['old', 'new'] as const) {
      if (counts.decode[v] === 0) continue;
      const ratio = counts.prefill[v] / counts.decode[v];
      this.min[v] = Math.min(this.min[v], ratio);
      this.max[v] = Math.max(this.max[v], ratio);
    }
    this.drift = Math.max(this.drift ?? 0, ratioDrift(counts.prefill, counts.decode, this.prefillReplicas, this.decodeReplicas));
  }

  summary(stage: PrefillStageStats): DisaggregationSummary {
    const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
    return {
      prefillReplicas: this.prefillReplicas,
      decodeReplicas: this.decodeReplicas,
      targetRatio: this.prefillReplicas / this.decodeReplicas,
      ratioOldMin: finite(this.min.old),
      ratioOldMax: finite(this.max.old),
      ratioNewMin: finite(this.min.new),
      ratioNewMax: finite(this.max.new),
      maxRatioDrift: this.drift,
      prefillSecondsMean: stage.prefill.mean,
      prefillSecondsP95: stage.prefill.quantile(0.95),
      transferSecondsMean: stage.transfer.mean,
      transferSecondsP95: stage.transfer.quantile(0.95),
      noPrefillEndpoint: stage.noPrefillEndpoint,
      failedOnPrefillPod: stage.failedOnPrefillPod,
      cutByDecodePod: stage.cutByDecodePod,
    };
  }
}
