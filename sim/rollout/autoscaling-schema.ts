import { z } from 'zod';
import { zDuration } from '../config/zod-units.js';
import { InputError } from '../errors.js';
import { DEFAULT_BEHAVIOR, DEFAULT_TOLERANCE, type ScalingRules } from './hpa.js';

/**
 * `deployment.autoscaling`: a HorizontalPodAutoscaler (autoscaling/v2) on the workload, or KEDA's ScaledObject
 * (which drives an HPA of its own) with `keda`. Defaults are the upstream ones (docs/autoscaling.md).
 */

const zPositive = z.number().positive();

/**
 * What the HPA reads from the simulated servers. Per pod (type Pods, AverageValue): `waiting` (vLLM
 * num_requests_waiting), `running` (num_requests_running), `kvCacheUsage` (0..1). Fleet-wide (type External,
 * Value): `ttftP95`, the 95th percentile time to first token over `window`.
 */
const zPodMetric = z.strictObject({
  type: z.enum(['waiting', 'running', 'kvCacheUsage']),
  averageValue: zPositive.meta({ description: 'target per pod (kvCacheUsage: a fraction 0..1)' }),
});
const zTtftMetric = z.strictObject({
  type: z.literal('ttftP95'),
  value: zDuration.refine((s) => s > 0, { error: 'must be longer than 0s' }).meta({ description: 'target p95 TTFT' }),
  window: zDuration.refine((s) => s > 0, { error: 'must be longer than 0s' }).default(60).meta({ description: 'the query window (default 60s)' }),
});
export const zAutoscalingMetric = z.discriminatedUnion('type', [zPodMetric, zTtftMetric]);
export type AutoscalingMetric = z.output<typeof zAutoscalingMetric>;

const zPolicy = z.strictObject({
  type: z.enum(['Pods', 'Percent']),
  value: z.int().min(1),
  periodSeconds: z.int().min(1).max(1800),
});

const zRules = (defaults: ScalingRules) =>
  z
    .strictObject({
      stabilizationWindowSeconds: z.int().min(0).max(3600).default(defaults.stabilizationWindowSeconds),
      selectPolicy: z.enum(['Max', 'Min', 'Disabled']).default(defaults.selectPolicy),
      policies: z.array(zPolicy).min(1).default(defaults.policies.map((p) => ({ ...p }))),
    })
    .prefault({});

const zBehavior = z
  .strictObject({ scaleUp: zRules(DEFAULT_BEHAVIOR.scaleUp), scaleDown: zRules(DEFAULT_BEHAVIOR.scaleDown) })
  .prefault({});

/** KEDA ScaledObject settings; the HPA it creates reads the trigger as an External AverageValue metric. */
const zKeda = z.strictObject({
  pollingInterval: zDuration.default(30).meta({ description: 'how often KEDA polls the trigger (default 30s)' }),
  cooldownPeriod: zDuration.default(300).meta({ description: 'inactive this long before scaling to minReplicas 0 (default 300s)' }),
  activationThreshold: z.number().min(0).default(0).meta({ description: 'the trigger is active above this value (default 0)' }),
});

export const zAutoscaling = z
  .strictObject({
    minReplicas: z.int().min(0).default(1).meta({ description: 'default 1; 0 only with keda' }),
    maxReplicas: z.int().min(1).max(100_000),
    metrics: z.array(zAutoscalingMetric).min(1),
    tolerance: z.number().min(0).max(1).default(DEFAULT_TOLERANCE).meta({ description: 'kube-controller-manager --horizontal-pod-autoscaler-tolerance (default 0.1)' }),
    syncPeriod: zDuration.refine((s) => s > 0, { error: 'must be longer than 0s' }).default(15).meta({ description: '--horizontal-pod-autoscaler-sync-period (default 15s)' }),
    metricsDelay: zDuration.default(15).meta({ description: 'age of the metrics the HPA reads: scrape interval + adapter (default 15s)' }),
    behavior: zBehavior,
    keda: zKeda.optional().meta({ description: 'a KEDA ScaledObject instead of a plain HPA' }),
  })
  .superRefine((a, ctx) => {
    if (a.minReplicas > a.maxReplicas) {
      ctx.addIssue({ code: 'custom', path: ['minReplicas'], message: `${a.minReplicas} is above maxReplicas ${a.maxReplicas}` });
    }
    if (a.minReplicas === 0 && a.keda === undefined) {
      ctx.addIssue({ code: 'custom', path: ['minReplicas'], message: '0 needs keda (an HPA alone scales from 1: HPAScaleToZero is alpha)' });
    }
    if (a.keda && a.metrics.length !== 1) {
      ctx.addIssue({ code: 'custom', path: ['metrics'], message: 'keda: exactly one trigger metric' });
    }
    if (a.keda && a.metrics[0]?.type === 'ttftP95') {
      ctx.addIssue({ code: 'custom', path: ['metrics', 0, 'type'], message: 'keda: a per-pod trigger (waiting, running or kvCacheUsage)' });
    }
  });

export type AutoscalingSpec = z.output<typeof zAutoscaling>;

/** Strategies whose controller follows spec.replicas (Deployment, Argo Rollouts canary and blue-green). */
const SCALABLE_STRATEGIES = ['rollingUpdate', 'recreate', 'canary', 'blueGreen', 'inferencePoolSplit'];

/** Refuses an autoscaler on a strategy whose controller does not take replica changes. */
export function checkAutoscaledStrategy(strategy: string, path: string): void {
  if (strategy === 'none' || SCALABLE_STRATEGIES.includes(strategy)) return;
  throw new InputError(
    { problem: `autoscaling with the ${strategy} strategy`, expected: `one of ${SCALABLE_STRATEGIES.join(', ')} (their controllers follow spec.replicas)` },
    path,
  );
}

/** How far back the autoscaler reads telemetry: its TTFT windows plus the metrics delay (0 without one). */
export function autoscalingReach(spec: AutoscalingSpec | undefined): number {
  if (!spec) return 0;
  return Math.max(0, ...spec.metrics.map((m) => (m.type === 'ttftP95' ? m.window + spec.metricsDelay : 0)));
}
