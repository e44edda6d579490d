import { z } from 'zod';
import { zDuration } from '../config/zod-units.js';
import { ROUTING_POLICIES, type RouterOptions } from './router.js';

/** AIBrix's prefix-cache router default: past 8 more running requests than the least loaded pod, load wins. */
const DEFAULT_MAX_IMBALANCE = 8;

export const zRouting = z
  .strictObject({
    policy: z.enum(ROUTING_POLICIES).default('least-outstanding'),
    centralQueue: z
      .strictObject({
        maxSize: z.int().min(1).optional().meta({ description: 'requests held at most; beyond it: gateway-queue-full' }),
        maxWait: zDuration.optional().meta({ description: 'longest a request is held before it is refused' }),
      })
      .optional()
      .meta({ description: 'gateway flow control (policy central-queue): hold requests until a pod has room' }),
    prefixAware: z
      .strictObject({ maxImbalance: z.int().min(0).default(DEFAULT_MAX_IMBALANCE) })
      .optional()
      .meta({ description: 'policy prefix-aware: outstanding requests above the least loaded pod that affinity may cost' }),
    loraAffinity: z
      .strictObject({ maxImbalance: z.int().min(0).default(DEFAULT_MAX_IMBALANCE) })
      .optional()
      .meta({ description: 'policy lora-affinity: outstanding requests above the least loaded pod that adapter affinity may cost' }),
    gatewayPropagation: zDuration.prefault('1s').meta({
      description:
        'time for a change of the service selector or traffic weights (blue-green switch, canary weight, mirror) to reach the gateway (UNCONFIRMED default)',
    }),
  })
  .superRefine((routing, ctx) => {
    const only = { centralQueue: 'central-queue', prefixAware: 'prefix-aware', loraAffinity: 'lora-affinity' } as const;
    for (const [key, policy] of Object.entries(only) as [keyof typeof only, RouterOptions['policy']][]) {
      if (routing[key] !== undefined && routing.policy !== policy) {
        const message = `only applies with policy: ${policy} (the policy is ${routing.policy})`;
        ctx.addIssue({ code: 'custom', path: [key], message });
      }
    }
  });

export type RoutingConfig = z.output<typeof zRouting>;

export function routerOptions(config: RoutingConfig): RouterOptions {
  return {
    policy: config.policy,
    centralQueue: {
      maxSize: config.centralQueue?.maxSize ?? Infinity,
      maxWait: config.centralQueue?.maxWait ?? Infinity,
    },
    maxImbalance: config.prefixAware?.maxImbalance ?? config.loraAffinity?.maxImbalance ?? DEFAULT_MAX_IMBALANCE,
  };
}
