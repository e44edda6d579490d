import type { ModelFacts } from '../cluster/startup-spec.js';
import type { PodGroupSpec } from '../cluster/template.js';
import type { LeaderWorkerSetDeployment } from '../cluster/leader-worker-schema.js';
import type { ReplicaSpan } from '../serving/setup.js';
import { InputError } from '../errors.js';

/** A multi-node replica's group and how its server spans the pods. */
export interface RoleGroup {
  readonly spec: PodGroupSpec;
  readonly span: ReplicaSpan;
}

/** Each pod of a multi-node replica loads its own shard of the checkpoint. */
export function podModelFacts(replica: ModelFacts, pods: number): ModelFacts {
  return pods === 1 ? replica : { ...replica, weightBytes: replica.weightBytes / pods };
}

/**
 * A workload's leaderWorkerSet block as its group; null for one pod per replica (absent, or size 1). The workers'
 * preStop defaults to the pod template's (LWS uses one template for both), the network to the node pool's.
 */
export function roleGroupOf(lws: LeaderWorkerSetDeployment | undefined, preStopSleep: number, poolNetwork: string | undefined, workload: string): RoleGroup | null {
  if (lws === undefined || lws.size === 1) return null;
  if (lws.groupIdentity !== 'Hash' && lws.groupReplacementPolicy === 'Immediate') {
    throw new InputError(
      { problem: 'groupReplacementPolicy Immediate with ordinal group identity', expected: "groupIdentity: Hash (a leader StatefulSet always waits for the old pod's name)" },
      `${workload === 'prefill' ? 'spec.deployment.disaggregation.prefill' : 'spec.deployment'}.leaderWorkerSet.groupReplacementPolicy`,
    );
  }
  return {
    spec: {
      size: lws.size,
      restartPolicy: lws.restartPolicy,
      workerPreStopSleep: lws.workerPreStop?.sleep ?? preStopSleep,
      onePodPerNode: lws.onePodPerNode,
      gangScheduling: lws.gangScheduling,
      hash: lws.groupIdentity === 'Hash' ? { replacement: lws.groupReplacementPolicy, workload } : null,
    },
    span: { pods: lws.size, layout: lws.layout, network: lws.network ?? poolNetwork ?? 'infiniband-ndr' },
  };
}
