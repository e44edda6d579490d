import { z } from 'zod';
import { zDuration } from '../config/zod-units.js';
import { NODE_NETWORKS } from '../serving/step-time/multi-node.js';

/**
 * `spec.deployment.leaderWorkerSet`: every replica is a LeaderWorkerSet group of `size` pods (docs/multi-node.md):
 * the leader runs the serving engine and takes the traffic, the workers hold the other nodes' ranks. Each pod has
 * the deployment's template (its GPUs are `model.tensorParallel`), so a replica spans size × tensorParallel GPUs.
 */
const zSize = z.int().min(1).max(64).meta({ description: 'pods per replica (LWS leaderWorkerTemplate.size): the leader and size − 1 workers, each with model.tensorParallel GPUs' });
const zLayout = z
  .enum(['pipeline', 'tensor'])
  .meta({ description: 'how the replica spans its pods: pipeline stages (vLLM --pipeline-parallel-size = size) or one tensor-parallel group over all GPUs' });
const zNetwork = z
  .enum([...NODE_NETWORKS.keys()] as [string, ...string[]])
  .meta({ description: 'the inter-node network the ranks talk over (per-GPU NIC bandwidth and latency)' });
const zOnePodPerNode = z.boolean().meta({
  description:
    "members repel each other (pod anti-affinity on LWS's group key), each on its own node: needed when a pod takes less than a node's GPUs but must drive that node's NICs",
});

export const zLeaderWorkerSetDeployment = z.strictObject({
  size: zSize,
  layout: zLayout.default('pipeline'),
  network: zNetwork.optional().meta({ description: "the network the ranks talk over; default: the node pool's network (cluster.nodePools[0].network), else infiniband-ndr" }),
  onePodPerNode: zOnePodPerNode.default(false),
  gangScheduling: z
    .boolean()
    .default(false)
    .meta({
      description:
        'a PodGroup per replica and a gang scheduler (LWS KEP-407, e.g. Volcano or the coscheduling plugin): a group binds all its pods at once or none, so a group that cannot be placed holds no GPUs',
    }),
  groupIdentity: z
    .enum(['Ordinal', 'Hash'])
    .default('Ordinal')
    .meta({
      description:
        "LWS spec.groupIdentity: Ordinal (a leader StatefulSet, groups by ordinal, partition and surge ordinals) or Hash (a leader Deployment: groups roll as a Deployment's RollingUpdate, each leader Ready only with its group, by the group-ready readiness gate)",
    }),
  groupReplacementPolicy: z
    .enum(['PostTermination', 'Immediate'])
    .default('PostTermination')
    .meta({
      description:
        'Hash mode: a replacement group waits (scheduling-gated) until the group it replaces is fully gone (PostTermination, the default), or is scheduled at once (Immediate)',
    }),
  restartPolicy: z
    .enum(['RecreateGroupOnPodRestart', 'RecreateGroupAfterStart', 'None'])
    .default('RecreateGroupOnPodRestart')
    .meta({ description: "LWS restartPolicy: a member's restart recreates the whole group (default), the same once no member is Pending, or restarts the pod alone" }),
  workerPreStop: z
    .strictObject({ sleep: zDuration })
    .optional()
    .meta({
      description:
        "the workers' preStop sleep (default: deployment.preStop, the one template LWS uses for both): a worker exits at SIGTERM and the leader's engine with it, so this bounds the drain",
    }),
});
export type LeaderWorkerSetDeployment = z.output<typeof zLeaderWorkerSetDeployment>;

/** `rollout.newVersion.leaderWorkerSet`: the new version's group shape, where it differs from the deployment's. */
export const zLeaderWorkerSetShapeChange = z
  .strictObject({ size: zSize.optional(), layout: zLayout.optional(), network: zNetwork.optional(), onePodPerNode: zOnePodPerNode.optional() })
  .meta({ description: "the new version's group shape where it differs (e.g. 1 × 8 GPUs → size 2 with newVersion.tensorParallel 4)" });
