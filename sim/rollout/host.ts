import type { Pod } from '../cluster/pod.js';
import type { ReplicaSet, ReplicaSetStatus } from '../cluster/replicaset.js';
import type { Telemetry } from '../metrics/recorder.js';
import type { MirrorSpec } from '../routing/router.js';
import type { Split } from '../routing/split.js';
import type { VersionRole } from '../traffic/request.js';

/**
 * What a rollout controller may do to the world: the Kubernetes API (ReplicaSets), the gateway (splits and
 * mirrors), the telemetry analyses read, and timers. Controllers hold no reference to the cluster or router
 * themselves, so they can be driven by a scripted host in tests.
 */
export interface RolloutHost {
  now(): number;
  /** A new ReplicaSet (spec 0) from the version's pod template. */
  createReplicaSet(version: VersionRole): ReplicaSet;
  setReplicas(rs: ReplicaSet, replicas: number): void;
  /** A StatefulSet-style scale-down by one chosen pod (spec.replicas − 1, that pod deleted): the LWS controller's. */
  deletePod(rs: ReplicaSet, pod: Pod): void;
  status(rs: ReplicaSet): ReplicaSetStatus;
  setSplit(split: Split): void;
  setMirror(mirror: MirrorSpec | null): void;
  /** Blue-green: start or stop the test requests to the preview Service (rollout.previewTraffic), at once. */
  setPreviewTraffic(on: boolean): void;
  /** An adapter rollout's in-pool rewrite: percent of the old adapter's requests served by the new one. */
  setRewriteWeight(weight: number): void;
  /** Gateway changes (active service switch, weights) reach the data path after this delay. */
  readonly gatewayDelay: number;
  /** `shadow`: the mirrored copies' telemetry. */
  telemetry(source: VersionRole | 'all' | 'shadow', from: number, to: number): Telemetry;
  /** Run a controller sync at time t (after every other event at t). */
  wakeAt(t: number): void;
  /** A named stretch of the rollout for the charts; returns a function that ends it. */
  beginPhase(name: string): () => void;
  /** A rollout event for the event log. */
  log(event: string, reason: string): void;
}
