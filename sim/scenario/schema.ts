import { z } from 'zod';
import { zCluster, zPodResources, zPodSettings, zStartup } from '../cluster/schema.js';
import { zDisaggregation } from '../cluster/disaggregation-schema.js';
import { zLeaderWorkerSetDeployment } from '../cluster/leader-worker-schema.js';
import { zRouting } from '../routing/config.js';
import { zAutoscaling } from '../rollout/autoscaling-schema.js';
import { zRollout } from '../rollout/strategy-schema.js';
import { zModelSpec } from '../serving/catalog/schema.js';
import { zServer } from '../serving/server-schema.js';
import { zWarmup } from '../serving/warmup.js';
import { zTraffic } from '../traffic/config.js';
import { assertionProblem } from './assertion-fields.js';
import { DEPLOYMENT_DEFAULTS } from '../config/upstream-defaults.js';
import { zDuration } from '../config/zod-units.js';

/**
 * The scenario file. Each model owns the schema of its part (cluster/schema.ts, serving/server-schema.ts, ...);
 * this file only assembles them under the names of the contract. Every object is strict: an unknown field is an
 * error that names it, never silently ignored.
 */

export const zDeployment = zPodSettings.extend({
  replicas: z
    .int()
    .min(1)
    .max(100_000)
    .default(DEPLOYMENT_DEFAULTS.replicas)
    .meta({ description: `spec.replicas of the Deployment (default ${DEPLOYMENT_DEFAULTS.replicas})` }),
  resources: zPodResources.prefault({}),
  warmup: zWarmup.nullable().optional().meta({ description: "what a new pod's server does before Ready (prefix-cache warm-up; null: none)" }),
  autoscaling: zAutoscaling.optional().meta({ description: 'a HorizontalPodAutoscaler (or KEDA ScaledObject) on the workload (docs/autoscaling.md)' }),
  leaderWorkerSet: zLeaderWorkerSetDeployment.optional().meta({
    description: 'multi-node replicas: each replica is a LeaderWorkerSet group of pods (docs/multi-node.md); roll it with strategy leaderWorkerSet',
  }),
  disaggregation: zDisaggregation.optional().meta({ description: 'prefill/decode disaggregation: this deployment is the decode role, plus a prefill role (docs/disaggregation.md)' }),
  /** Read by the loader before validation; kept so --set and the JSON Schema accept it. */
  manifest: z.string().optional().meta({ description: 'path of a Deployment, Argo Rollout, LeaderWorkerSet or KServe LLMInferenceService YAML to import' }),
});

const zPositiveDuration = zDuration.refine((s) => s > 0, { error: 'must be longer than 0s' });

export const zSlo = z.strictObject({
  ttftP95: zPositiveDuration.optional(),
  tpotP95: zPositiveDuration.optional(),
  e2eP95: zPositiveDuration.optional(),
});

export const zSpec = z.strictObject({
  seed: z.int().default(1).meta({ description: 'seed of every random stream; same seed, same results' }),
  duration: zPositiveDuration.meta({ description: 'simulated time' }),
  cluster: zCluster,
  model: zModelSpec,
  server: zServer.prefault({}),
  startup: zStartup.prefault({}),
  deployment: zDeployment.prefault({}),
  rollout: zRollout.optional(),
  traffic: zTraffic,
  routing: zRouting.prefault({}),
  slo: zSlo.prefault({}),
  /** Expressions over the summary; `rollout-sim check` and `run` fail (exit 1) when one is false. */
  assertions: z
    .array(
      z.string().min(1).superRefine((expression, ctx) => {
        const problem = assertionProblem(expression);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    )
    .default([]),
  metrics: z.strictObject({ windowSeconds: zPositiveDuration.prefault(10) }).prefault({}),
  /** The initial fleet starts cold (start-up pipeline at t=0) instead of up, warm and serving. */
  coldStart: z.boolean().default(false),
  /** Read by the loader before validation; kept so --set and the JSON Schema accept it. */
  catalog: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'a catalog file of extra GPUs and models, usable by name; relative to the scenario file (docs/catalog.md)' }),
  calibration: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'a calibration file written by rollout-sim calibrate, relative to the scenario file (docs/calibration.md)' }),
});

/** Kubernetes' IsDNS1123Subdomain, the rule for Deployment and Rollout names: the scenario names the workload. */
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const scenarioSchema = z.strictObject({
  apiVersion: z.literal('rollout-sim/v1alpha1', { error: 'expected apiVersion: rollout-sim/v1alpha1' }),
  kind: z.literal('Scenario', { error: 'expected kind: Scenario' }),
  metadata: z.strictObject({
    name: z
      .string()
      .max(253, { error: 'must be at most 253 characters, as a Kubernetes object name' })
      .regex(DNS_1123_SUBDOMAIN, {
        error: "must be a Kubernetes object name (DNS-1123 subdomain): lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, e.g. llama-70b-rolling",
      }),
    description: z.string().optional(),
  }),
  spec: zSpec,
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioSpec = Scenario['spec'];

/** Names the schema for editors and tools; a URN, as the project has no web address of its own. */
export const SCENARIO_SCHEMA_ID = 'urn:rollout-sim:schema:scenario:v1alpha1';

/**
 * The JSON Schema of what a user writes (input forms: `90s`, `25%`), for editors' autocompletion. Committed as
 * schema/scenario.schema.json, which every scenario file names on its first line (`# yaml-language-server:`).
 */
export function scenarioJsonSchema(): object {
  const { $schema, ...rest } = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' });
  return { $schema, $id: SCENARIO_SCHEMA_ID, title: 'rollout-sim scenario (rollout-sim/v1alpha1, kind: Scenario)', ...rest };
}
