import { z } from 'zod';
import { zBandwidth, zDuration } from '../config/zod-units.js';
import { zLeaderWorkerSetDeployment } from './leader-worker-schema.js';
import { zPodResources } from './schema.js';

/**
 * `spec.deployment.disaggregation` (docs/disaggregation.md): prefill/decode disaggregated serving. The deployment
 * itself is the decode role (its pods hold the streams, so its drain and grace period matter); `prefill` is a
 * second workload of the same model and version that only computes prompts and sends their KV cache to a decode
 * pod over the `kvTransfer` link.
 */
export const zDisaggregation = z.strictObject({
  prefill: z.strictObject({
    replicas: z.int().min(1).max(100_000).meta({ description: 'pods of the prefill role (its own Deployment, rolled out with the decode role)' }),
    tensorParallel: z.int().min(1).optional().meta({ description: 'GPUs per prefill pod (default: model.tensorParallel)' }),
    resources: zPodResources.optional().meta({ description: "the prefill pods' host resources (default: the deployment's)" }),
    leaderWorkerSet: zLeaderWorkerSetDeployment.optional().meta({
      description:
        'multi-node prefill replicas: each is a LeaderWorkerSet group of size pods of tensorParallel GPUs (docs/disaggregation.md); roll with strategy leaderWorkerSet',
    }),
  }),
  kvTransfer: z.strictObject({
    bandwidth: zBandwidth
      .refine((b) => b > 0, { error: 'must be more than 0 bytes per second' })
      .meta({ description: 'bytes per second from a prefill pod to a decode pod, e.g. 50GB/s (RDMA) or 3GB/s (TCP)' }),
    latency: zDuration.prefault(0).meta({ description: 'fixed cost of one transfer (connection, handshake, notification), default 0s' }),
  }),
});

export type DisaggregationSpec = z.output<typeof zDisaggregation>;
