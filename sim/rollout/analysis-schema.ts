/**
 * The scenario form of an Argo AnalysisTemplate. Durations take units (`30s`, `2m`) and come out in seconds, so a
 * parsed metric is a MetricSpec plus the `query` that says what to measure.
 */
import { z } from 'zod';
import { ExpressionError } from '../expressions/errors.js';
import { compileExpression } from '../expressions/safe-eval.js';
import { ARGO_ANALYSIS_DEFAULTS as ARGO } from '../config/upstream-defaults.js';
import { zDuration } from '../config/zod-units.js';
import { metricProblems } from './analysis.js';

const limit = (min: number, description: string) => z.int().min(min).optional().meta({ description });

export const zAnalysisMetric = z.strictObject({
  name: z.string().min(1).meta({ description: 'unique within the template' }),
  query: z.string().meta({
    description:
      'expression over the live simulation metrics, evaluated at each measurement; its value is `result` in the conditions',
  }),
  window: zDuration.prefault('60s').meta({
    description: 'stretch of recent telemetry the query reads: [now - window, now)',
  }),
  interval: zDuration.optional().meta({ description: 'time between measurements; unset: a single measurement' }),
  count: limit(0, 'measurements to take; unset or 0: 1 without interval, until the rollout ends with one'),
  initialDelay: zDuration.optional().meta({ description: 'wait before the first measurement (default 0)' }),
  successCondition: z.string().optional().meta({ description: 'e.g. result[0] < 0.05' }),
  failureCondition: z.string().optional().meta({ description: 'e.g. result[0] > 0.1' }),
  failureLimit: limit(-1, `failed measurements tolerated (default ${ARGO.failureLimit}; -1 disables)`),
  inconclusiveLimit: limit(0, `inconclusive measurements tolerated (default ${ARGO.inconclusiveLimit})`),
  consecutiveErrorLimit: limit(0, `consecutive measurement errors tolerated (default ${ARGO.consecutiveErrorLimit})`),
  consecutiveSuccessLimit: limit(0, `consecutive successes that end the metric successfully (default ${ARGO.consecutiveSuccessLimit} = off)`),
});

/** Argo's ValidateMetrics rules and compilable expressions, reported at the field they concern. */
export const zAnalysisTemplate = z
  .strictObject({
    name: z.string().min(1).optional(),
    metrics: z.array(zAnalysisMetric),
  })
  .superRefine((template, ctx) => {
    for (const problem of metricProblems(template.metrics)) {
      ctx.addIssue({ code: 'custom', message: problem.message, path: ['metrics', ...problem.path] });
    }
    for (const [i, metric] of template.metrics.entries()) {
      try {
        compileExpression(metric.query);
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        ctx.addIssue({ code: 'custom', message: err.message, path: ['metrics', i, 'query'] });
      }
    }
  });

export type AnalysisMetric = z.output<typeof zAnalysisMetric>;
export type AnalysisTemplate = z.output<typeof zAnalysisTemplate>;
