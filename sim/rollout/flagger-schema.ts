/**
 * The scenario form of a Flagger `Canary` (fluxcd/flagger pkg/apis/flagger/v1beta1/canary.go; rollout-semantics.md
 * §4): its `analysis` block, the built-in and template metrics mapped to simulated telemetry, and webhooks as
 * timed gates. Durations take units and come out in seconds.
 */
import { z } from 'zod';
import { DEPLOYMENT_DEFAULTS, FLAGGER_DEFAULTS as FLAGGER } from '../config/upstream-defaults.js';
import { zDuration, zIntOrPercent } from '../config/zod-units.js';
import { ExpressionError } from '../expressions/errors.js';
import { compileExpression } from '../expressions/safe-eval.js';
import { rollingBudgetProblem } from './fenceposts.js';

/** Flagger's built-in metrics (scheduler_metrics.go `runBuiltinMetricChecks`). */
export const FLAGGER_BUILTIN_METRICS = ['request-success-rate', 'request-duration'] as const;

const zWeight = z.int().min(0).max(100);

const zThresholdRange = z
  .strictObject({ min: z.number().optional(), max: z.number().optional() })
  .refine((r) => r.min !== undefined || r.max !== undefined, 'expected min, max or both');

export const zFlaggerMetric = z
  .strictObject({
    name: z.string().min(1).meta({ description: 'request-success-rate, request-duration, or any name with a templateRef' }),
    thresholdRange: zThresholdRange.optional().meta({ description: 'the check fails below min or above max' }),
    /** Deprecated in Flagger (thresholdRange replaces it); a minimum, as runBuiltinMetricChecks reads it. */
    threshold: z.number().optional(),
    interval: zDuration.prefault(FLAGGER.metricIntervalSeconds).meta({ description: 'the range of telemetry the check reads' }),
    templateRef: z.strictObject({ name: z.string().min(1) }).optional(),
  })
  .superRefine((m, ctx) => {
    const builtin = (FLAGGER_BUILTIN_METRICS as readonly string[]).includes(m.name);
    if (!builtin && !m.templateRef) {
      ctx.addIssue({
        code: 'custom',
        message: `"${m.name}" is not a built-in metric (${FLAGGER_BUILTIN_METRICS.join(', ')}); give it a templateRef`,
        path: ['templateRef'],
      });
    }
  });

/**
 * A MetricTemplate whose provider is the simulation: `query` is an expression over the telemetry of the metric's
 * interval (`new.*` the canary, `old.*` the primary, `all.*`, `shadow.*` the mirrored copies), as in analysis
 * templates.
 */
export const zFlaggerMetricTemplate = z.strictObject({
  query: z.string().superRefine((query, ctx) => {
    try {
      compileExpression(query);
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message });
    }
  }),
});

/** Webhook types Flagger calls from its scheduler (pkg/apis/flagger/v1beta1/canary.go HookType). */
export const FLAGGER_WEBHOOK_TYPES = [
  'pre-rollout',
  'rollout',
  'confirm-rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
  'post-rollout',
  'rollback',
] as const;
export type FlaggerWebhookType = (typeof FLAGGER_WEBHOOK_TYPES)[number];

/**
 * A webhook as a timed gate: it answers "fail" until `passAfter` has passed since Flagger first called it (an
 * approval that comes later, a load test that must finish), then "pass"; `fail: true` fails every call. A
 * `rollback` hook that passes rolls the canary back, as Flagger's does.
 */
export const zFlaggerWebhook = z.strictObject({
  name: z.string().min(1),
  type: z.enum(FLAGGER_WEBHOOK_TYPES).default('rollout'),
  passAfter: zDuration.optional(),
  fail: z.boolean().default(false),
});
export type FlaggerWebhook = z.output<typeof zFlaggerWebhook>;

export const zFlaggerAnalysis = z
  .strictObject({
    interval: zDuration.prefault(FLAGGER.intervalSeconds),
    threshold: z.int().default(FLAGGER.threshold),
    stepWeight: zWeight.optional(),
    stepWeights: z.array(zWeight.min(1)).min(1).optional(),
    maxWeight: zWeight.optional(),
    stepWeightPromotion: zWeight.default(FLAGGER.stepWeightPromotion),
    iterations: z.int().min(0).default(0),
    mirror: z.boolean().default(false),
    mirrorWeight: zWeight.min(1).default(FLAGGER.mirrorWeight),
    primaryReadyThreshold: zWeight.default(FLAGGER.readyThresholdPercent),
    canaryReadyThreshold: zWeight.default(FLAGGER.readyThresholdPercent),
    metrics: z.array(zFlaggerMetric).default([]),
    webhooks: z.array(zFlaggerWebhook).default([]),
  })
  .superRefine((a, ctx) => {
    if (a.stepWeights) {
      for (let i = 1; i < a.stepWeights.length; i++) {
        if (a.stepWeights[i] <= a.stepWeights[i - 1]) {
          ctx.addIssue({ code: 'custom', message: 'expected increasing weights', path: ['stepWeights', i] });
        }
      }
    }
    if (a.iterations === 0 && !a.stepWeight && !a.stepWeights) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected stepWeight or stepWeights (a canary) or iterations (blue-green): with none Flagger never shifts traffic',
        path: ['stepWeight'],
      });
    }
  });

/**
 * `spec.rollout.strategy.flagger`: the Canary's analysis, the sizes of the generated Deployments, and the
 * primary's own rolling update when Flagger copies the canary spec into it.
 */
export const zFlagger = z
  .strictObject({
    analysis: zFlaggerAnalysis,
    /** MetricTemplates by name, for metrics with a templateRef. */
    metricTemplates: z.record(z.string(), zFlaggerMetricTemplate).default({}),
    progressDeadlineSeconds: zDuration.prefault(FLAGGER.progressDeadlineSeconds),
    /**
     * The canary Deployment's size when Flagger scales it from zero: unset, the target Deployment's replicas (the
     * fleet's); set, as an HPA's minReplicas would (ScaleFromZero).
     */
    canaryReplicas: z.int().min(1).optional(),
    /** The target Deployment's RollingUpdate, copied to the primary on promotion (Promote copies spec.strategy). */
    maxSurge: zIntOrPercent.prefault(DEPLOYMENT_DEFAULTS.maxSurge),
    maxUnavailable: zIntOrPercent.prefault(DEPLOYMENT_DEFAULTS.maxUnavailable),
  })
  .superRefine((f, ctx) => {
    const problem = rollingBudgetProblem(f.maxSurge, f.maxUnavailable);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, path: ['maxUnavailable'] });
    for (const [i, metric] of f.analysis.metrics.entries()) {
      const ref = metric.templateRef?.name;
      if (ref !== undefined && !(ref in f.metricTemplates)) {
        const known = Object.keys(f.metricTemplates);
        ctx.addIssue({
          code: 'custom',
          message: `no metric template "${ref}"; declare it under metricTemplates${known.length ? ` (declared: ${known.join(', ')})` : ''}`,
          path: ['analysis', 'metrics', i, 'templateRef', 'name'],
        });
      }
    }
  });
export type FlaggerSpec = z.output<typeof zFlagger>;
export type FlaggerAnalysis = z.output<typeof zFlaggerAnalysis>;
export type FlaggerMetric = z.output<typeof zFlaggerMetric>;
