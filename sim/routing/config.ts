import { z } from 'zod';
import { zDuration } from '../config/zod-units.js';
import type { EndpointPickerOptions } from './endpoint-picker.js';
import { ROUTING_POLICIES, type RouterOptions } from './router.js';

/** AIBrix's prefix-cache router default: past 8 more running requests than the least loaded pod, load wins. */
const DEFAULT_MAX_IMBALANCE = 8;

/**
 * The Gateway API Inference Extension's endpoint picker defaults (sources in docs/endpoint-picker.md): the
 * inferencepool chart's default scheduling profile (queue-scorer 2, kv-cache-utilization-scorer 2,
 * prefix-cache-scorer 3), --refresh-metrics-interval 50ms, the saturation detector's QueueDepthThreshold 5,
 * KVCacheUtilThreshold 0.8 and MetricsStalenessThreshold 200ms, the prefix plugin's lruCapacityPerServer 31250,
 * hashBlockSize 64 characters (16 tokens at 4 characters per token) and maxPrefixBlocksToMatch 256.
 */
const zEndpointPicker = z.strictObject({
  scrapeInterval: zDuration.prefault('50ms').meta({ description: "time between two scrapes of every pod's metrics (--refresh-metrics-interval)" }),
  weights: z
    .strictObject({
      queue: z.number().min(0).default(2).meta({ description: 'queue-scorer: shortest waiting queue' }),
      kvCache: z.number().min(0).default(2).meta({ description: 'kv-cache-utilization-scorer: least KV-cache use' }),
      prefix: z.number().min(0).default(3).meta({ description: 'prefix-cache-scorer: longest prefix the index believes cached' }),
      loraAffinity: z
        .number()
        .min(0)
        .default(1)
        .meta({ description: "lora-affinity-scorer: the request's adapter loaded (1) or a free adapter slot (0.8); scores 0 everywhere for base-model requests (UNCONFIRMED default weight)" }),
    })
    .prefault({})
    .meta({ description: 'scorer weights of the scheduling profile; 0 leaves a scorer out' }),
  saturation: z
    .union([
      z.literal(false),
      z.strictObject({
        queueDepth: z.int().min(0).default(5).meta({ description: 'waiting requests above which a pod is saturated' }),
        kvCache: z.number().min(0).max(1).default(0.8).meta({ description: 'KV-cache use above which a pod is saturated' }),
        metricsStaleness: zDuration.prefault('200ms').meta({ description: 'metrics older than this do not count as capacity' }),
      }),
    ])
    .prefault({})
    .meta({ description: 'hold requests in the gateway queue while every pod is saturated (false: never hold)' }),
  prefixIndex: z
    .strictObject({
      capacityBlocks: z.int().min(1).default(31250).meta({ description: 'hash blocks the index keeps per pod (LRU)' }),
      hashBlockTokens: z.int().min(1).default(16).meta({ description: 'prompt tokens per hash block' }),
      maxPrefixBlocks: z.int().min(1).default(256).meta({ description: 'hash blocks of a prompt matched at most' }),
    })
    .prefault({}),
});

const DEFAULT_ENDPOINT_PICKER = zEndpointPicker.parse({});
/** Envoy's slow_start_config defaults (Istio's warmup): aggression 1.0 (linear), min_weight_percent 10. */
const ENVOY_SLOW_START = { aggression: 1, minWeightPercent: 10 } as const;

/** The policies whose picks can take slow-start weights (slow-start.ts). */
export const SLOW_START_POLICIES: readonly RouterOptions['policy'][] = ['round-robin', 'random', 'least-outstanding', 'power-of-two'];

const zSlowStart = z
  .strictObject({
    window: zDuration.meta({ description: 'how long after joining an endpoint gets a reduced weight (Envoy slow_start_window, Istio warmupDurationSecs)' }),
    aggression: z
      .number()
      .gt(0)
      .default(ENVOY_SLOW_START.aggression)
      .meta({ description: 'ramp shape: weight ∝ (time/window)^(1/aggression); 1 is linear (Envoy default 1.0)' }),
    minWeightPercent: z
      .number()
      .gt(0)
      .max(100)
      .default(ENVOY_SLOW_START.minWeightPercent)
      .meta({ description: 'floor of the weight, percent of the full weight (Envoy default 10)' }),
  })
  .meta({ description: "slow start of newly routable endpoints, as Envoy's slow_start_config / Istio's warmup" });

/** Kubernetes' default terminationGracePeriodSeconds. */
const DEFAULT_GRACE_SECONDS = 30;

const zGateway = z
  .strictObject({
    replicas: z.int().min(1).meta({ description: 'router / EPP replicas; each stream goes through one of them' }),
    terminationGracePeriodSeconds: z
      .number()
      .min(0)
      .default(DEFAULT_GRACE_SECONDS)
      .meta({ description: 'streams still open through a terminating replica are cut after this long (Kubernetes default 30)' }),
    startup: zDuration.prefault('10s').meta({ description: 'a new router replica: created → Ready (UNCONFIRMED default)' }),
    rollout: z
      .strictObject({ at: zDuration.meta({ description: 'when the router Deployment starts rolling (maxSurge 1, maxUnavailable 0)' }) })
      .optional(),
  })
  .meta({ description: "the router / endpoint picker as a Deployment of its own: replicas, grace period and its own rollout" });

const zDiscovery = z
  .strictObject({
    admissionDelay: zDuration.prefault('0s').meta({ description: 'pod Ready → routable by the router (its own watch or poll)' }),
    removalDelay: zDuration.prefault('0s').meta({ description: 'pod no longer wanted → no longer routed to' }),
    honorsTerminating: z
      .boolean()
      .default(true)
      .meta({ description: 'drop a pod once it is Terminating; false: keep routing to it while its readiness passes' }),
    readinessGate: z
      .boolean()
      .default(false)
      .meta({ description: 'the router admits a pod before the Deployment counts it: Ready waits for the admission (a pod readiness gate)' }),
  })
  .meta({ description: "the router's own pod discovery instead of the Service endpoints (cluster.endpointPropagation)" });

export const zRouting = z
  .strictObject({
    policy: z.enum(ROUTING_POLICIES).default('least-outstanding'),
    centralQueue: z
      .strictObject({
        maxSize: z.int().min(1).optional().meta({ description: 'requests held at most; beyond it: gateway-queue-full' }),
        maxWait: zDuration.optional().meta({ description: 'longest a request is held before it is refused' }),
      })
      .optional()
      .meta({
        description:
          'gateway flow control (policies central-queue, endpoint-picker): hold requests until a pod has room or is not saturated',
      }),
    prefixAware: z
      .strictObject({ maxImbalance: z.int().min(0).default(DEFAULT_MAX_IMBALANCE) })
      .optional()
      .meta({ description: 'policy prefix-aware: outstanding requests above the least loaded pod that affinity may cost' }),
    endpointPicker: zEndpointPicker
      .optional()
      .meta({ description: "policy endpoint-picker: the Gateway API Inference Extension's scorers, scrape and saturation detector" }),
    slowStart: zSlowStart.optional(),
    discovery: zDiscovery.optional(),
    waitForEndpoint: zDuration
      .optional()
      .meta({ description: 'how long a request waits for a routable pod before it is refused no-endpoint (unset or 0: at once)' }),
    gateway: zGateway.optional(),
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
    const only = {
      centralQueue: ['central-queue', 'endpoint-picker'],
      prefixAware: ['prefix-aware'],
      endpointPicker: ['endpoint-picker'],
      loraAffinity: ['lora-affinity'],
    } as const;
    for (const [key, policies] of Object.entries(only) as [keyof typeof only, readonly RouterOptions['policy'][]][]) {
      if (routing[key] !== undefined && !policies.includes(routing.policy)) {
        const message = `only applies with policy: ${policies.join(' or ')} (the policy is ${routing.policy})`;
        ctx.addIssue({ code: 'custom', path: [key], message });
      }
    }
    if (routing.slowStart !== undefined && !SLOW_START_POLICIES.includes(routing.policy)) {
      const message = `only applies with policy ${SLOW_START_POLICIES.join(', ')} (the policy is ${routing.policy})`;
      ctx.addIssue({ code: 'custom', path: ['slowStart'], message });
    }
    if (routing.slowStart !== undefined && !(routing.slowStart.window > 0)) {
      ctx.addIssue({ code: 'custom', path: ['slowStart', 'window'], message: 'expected a window above 0 seconds' });
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
    endpointPicker: endpointPickerOptions(config.endpointPicker ?? DEFAULT_ENDPOINT_PICKER),
    slowStart: config.slowStart ?? null,
    waitForEndpoint: config.waitForEndpoint ?? 0,
    gateway:
      config.gateway === undefined
        ? null
        : {
            replicas: config.gateway.replicas,
            terminationGracePeriodSeconds: config.gateway.terminationGracePeriodSeconds,
            startup: config.gateway.startup,
            rolloutAt: config.gateway.rollout?.at ?? null,
          },
  };
}

function endpointPickerOptions(config: z.output<typeof zEndpointPicker>): EndpointPickerOptions {
  return { ...config, saturation: config.saturation === false ? null : config.saturation };
}
