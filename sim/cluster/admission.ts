import type { Pod } from './pod.js';

/**
 * What stands between a ReplicaSet and a bound pod besides the nodes: a namespace ResourceQuota on
 * `requests.nvidia.com/gpu` (checked when the pod is created) and a Kueue ClusterQueue (checked before the pod
 * may be scheduled). GPUs are whole numbers of nvidia.com/gpu.
 */

/** A namespace ResourceQuota's hard limit on requests.nvidia.com/gpu. */
export interface QuotaConfig {
  readonly hardGpus: number;
  /** GPUs other workloads of the namespace already request (they count against the same quota). */
  readonly usedElsewhere: number;
}

/** A Kueue ClusterQueue's nvidia.com/gpu quota, in a cohort or alone. */
export interface KueueConfig {
  readonly nominalQuota: number;
  /** The most it may borrow from its cohort (Infinity when unset, as in Kueue). */
  readonly borrowingLimit: number;
  /** Nominal quota of the other ClusterQueues of the cohort that they do not use (what can be lent). */
  readonly cohortUnused: number;
}

/**
 * ResourceQuota admission (the quota admission plugin): the create is refused when used + requested would pass
 * hard. Example: hard 16, 16 used by the 8 TP2 pods ⇒ a surge pod asking 2 is refused ("exceeded quota").
 */
export function quotaAdmits(quota: QuotaConfig, usedByWorkload: number, requested: number): boolean {
  return quota.usedElsewhere + usedByWorkload + requested <= quota.hardGpus;
}

/** The most the ClusterQueue can admit at once: its nominal quota plus what it may borrow from the cohort. */
export function kueueCapacity(kueue: KueueConfig): number {
  return kueue.nominalQuota + Math.min(kueue.borrowingLimit, kueue.cohortUnused);
}

/** Kueue admits a workload when its usage plus the workload's request fits the nominal quota plus the borrowable part. */
export function kueueAdmits(kueue: KueueConfig, admitted: number, requested: number): boolean {
  return admitted + requested <= kueueCapacity(kueue);
}

/**
 * The quota and queue ledger of one workload: GPUs counted against the ResourceQuota (every pod from creation
 * until it is fully gone), GPUs admitted by Kueue, and the pods Kueue left SchedulingGated, oldest first. Kueue's
 * default BestEffortFIFO queueing: the oldest gated pod that fits is admitted first, but one that does not fit
 * does not hold back a newer, smaller one. The ReplicaSets whose creates the quota refused are retried when
 * quota is released (the ReplicaSet controller requeues a FailedCreate).
 */
export class GpuAdmission {
  quotaUsed = 0;
  kueueUsed = 0;
  /** Creates the quota refused (FailedCreate events), over the run. */
  quotaDenials = 0;
  readonly gated: Pod[] = [];
  private readonly admitted = new Set<Pod>();

  constructor(
    readonly quota: QuotaConfig | null,
    readonly kueue: KueueConfig | null,
  ) {}

  /** The quota lets a pod of `gpus` be created. */
  mayCreate(gpus: number): boolean {
    return this.quota === null || quotaAdmits(this.quota, this.quotaUsed, gpus);
  }

  /**
   * A pod was created: it counts against the quota; true when Kueue admits it now (or there is no Kueue), false
   * when it waits SchedulingGated.
   */
  created(pod: Pod): boolean {
    this.quotaUsed += pod.gpus;
    if (this.kueue === null) return true;
    if (kueueAdmits(this.kueue, this.kueueUsed, pod.gpus)) {
      this.admit(pod);
      return true;
    }
    this.gated.push(pod);
    return false;
  }

  /** Counts a pod placed without admission checks (the fleet serving at t=0, admitted long ago). */
  placed(pod: Pod): void {
    this.quotaUsed += pod.gpus;
    if (this.kueue !== null) this.admit(pod);
  }

  /** The pod is fully gone (or deleted while gated): releases its quota; returns the gated pods Kueue now admits. */
  gone(pod: Pod): Pod[] {
    this.quotaUsed -= pod.gpus;
    const gatedAt = this.gated.indexOf(pod);
    if (gatedAt >= 0) this.gated.splice(gatedAt, 1);
    if (this.admitted.delete(pod)) this.kueueUsed -= pod.gpus;
    return this.admitFromGate();
  }

  private admitFromGate(): Pod[] {
    const out: Pod[] = [];
    const kueue = this.kueue;
    if (kueue === null) return out;
    for (const pod of this.gated) {
      if (!kueueAdmits(kueue, this.kueueUsed, pod.gpus)) continue;
      this.admit(pod);
      out.push(pod);
    }
    if (out.length > 0) this.gated.splice(0, this.gated.length, ...this.gated.filter((p) => !this.admitted.has(p)));
    return out;
  }

  private admit(pod: Pod): void {
    this.admitted.add(pod);
    this.kueueUsed += pod.gpus;
  }
}
