/**
 * Proportional scaling of a RollingUpdate Deployment resized in the middle of a rollout (k8s
 * pkg/controller/deployment/sync.go `scale`, util/deployment_util.go `GetProportion`, `getReplicaSetFraction`).
 * When spec.replicas changes while several ReplicaSets have pods (an HPA acting during a rollout), Kubernetes
 * does not give the difference to the new ReplicaSet: it spreads it over every active ReplicaSet in proportion
 * to its size, and the rounding leftover goes to the largest. Pure functions; the caller applies the writes.
 */
import { maxSurge, type RollingUpdateParams } from './fenceposts.js';
import type { Action, RsSnapshot } from './rolling-update.js';

/** A ReplicaSet as proportional scaling reads it. */
export interface ScalableRs extends RsSnapshot {
  /**
   * The deployment.kubernetes.io/max-replicas annotation: the Deployment's replicas + maxSurge when this
   * ReplicaSet was last scaled by it; undefined when absent.
   */
  readonly maxReplicasAnnotation?: number;
}

/** integer.RoundToInt32: round half away from zero. */
function roundHalfAway(x: number): number {
  return x < 0 ? Math.ceil(x - 0.5) : Math.floor(x + 0.5);
}

/**
 * getReplicaSetFraction: how many pods `rs` gains (or loses, negative) when the Deployment's size limit moves from
 * what it was when the ReplicaSet was last scaled (its max-replicas annotation) to replicas + maxSurge now.
 * A missing or 0 annotation falls back to the Deployment's status.replicas; with that 0 too the Deployment has
 * not been observed yet and nothing is scaled. Scaling the Deployment to 0 takes the whole ReplicaSet.
 * Example: replicas 100 → 120 (maxSurge 0), RS of 50 annotated 100 ⇒ round(50·120/100) − 50 = +10.
 */
export function replicaSetFraction(rs: ScalableRs, d: RollingUpdateParams, deploymentStatusReplicas: number): number {
  if (d.replicas === 0) return -rs.spec;
  const maxNow = d.replicas + maxSurge(d);
  const annotated = rs.maxReplicasAnnotation || deploymentStatusReplicas;
  if (annotated === 0) return 0;
  return roundHalfAway((rs.spec * maxNow) / annotated) - rs.spec;
}

/**
 * GetProportion: the ReplicaSet's fraction, bounded by what is still left to add (scaling up) or remove (scaling
 * down) so the running total never overshoots `toAdd`. 0 for an empty ReplicaSet: nothing is scaled up from zero.
 */
export function proportion(
  rs: ScalableRs,
  d: RollingUpdateParams,
  deploymentStatusReplicas: number,
  toAdd: number,
  added: number,
): number {
  if (rs.spec === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d, deploymentStatusReplicas);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * sync.go `scale` for a RollingUpdate Deployment whose size changed: the writes that resize its ReplicaSets.
 * - One active ReplicaSet (or none: the newest) simply takes spec.replicas.
 * - A saturated new ReplicaSet (spec = available = replicas) takes everything; old ones go to 0.
 * - Otherwise the difference between replicas + maxSurge and Σ spec is shared out: largest first (newer first
 *   among equals when growing, older first when shrinking), each by `proportion`, and the rounding leftover is
 *   added to (or taken from) the first, never below 0.
 * Example: replicas 10 → 15 (maxSurge 3 → 4, annotations 13) with new 8, old 5: toAdd 19 − 13 = 6;
 * new +round(8·19/13 − 8) = +4, old +round(5·19/13 − 5) = +2 ⇒ new 12, old 7.
 * Every ReplicaSet is written with its max-replicas annotation renewed, so the caller records replicas + maxSurge
 * on each one it was given (unchanged sizes included).
 */
export function proportionalScale(
  d: RollingUpdateParams,
  newRS: ScalableRs | null,
  oldRSs: readonly ScalableRs[],
  deploymentStatusReplicas: number,
): Action[] {
  const all = newRS === null ? [...oldRSs] : [...oldRSs, newRS];
  const active = all.filter((rs) => rs.spec > 0);
  if (active.length <= 1) {
    const target = active[0] ?? newRS ?? newestFirst(all)[0];
    if (target === undefined || target.spec === d.replicas) return [];
    return [{ type: 'scaleRS', id: target.id, replicas: d.replicas }];
  }
  if (newRS !== null && newRS.spec === d.replicas && newRS.available === d.replicas) {
    return active.filter((rs) => rs !== newRS).map((rs) => ({ type: 'scaleRS', id: rs.id, replicas: 0 }));
  }
  const allowedSize = d.replicas > 0 ? d.replicas + maxSurge(d) : 0;
  const toAdd = allowedSize - active.reduce((sum, rs) => sum + rs.spec, 0);
  const ordered = toAdd > 0 ? bySize(active, 'newer') : bySize(active, 'older');
  let added = 0;
  const sizes = ordered.map((rs) => {
    const p = toAdd === 0 ? 0 : proportion(rs, d, deploymentStatusReplicas, toAdd, added);
    added += p;
    return rs.spec + p;
  });
  if (toAdd !== 0) sizes[0] = Math.max(0, sizes[0] + toAdd - added);
  return ordered.map((rs, i) => ({ type: 'scaleRS', id: rs.id, replicas: sizes[i] }));
}

function newestFirst(rss: readonly ScalableRs[]): ScalableRs[] {
  return [...rss].sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
}

/** ReplicaSetsBySizeNewer / BySizeOlder: larger first; equal sizes newer (or older) first. */
function bySize(rss: readonly ScalableRs[], tie: 'newer' | 'older'): ScalableRs[] {
  const sign = tie === 'newer' ? -1 : 1;
  return [...rss].sort((a, b) => b.spec - a.spec || sign * (a.createdAt - b.createdAt) || sign * (a.id - b.id));
}
