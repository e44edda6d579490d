import { parseIntOrPercent, type IntOrPercentText } from '../config/int-or-percent.js';
import { DEPLOYMENT_DEFAULTS } from '../config/upstream-defaults.js';
import { rollingBudgetProblem } from '../rollout/fenceposts.js';
import type { FieldPath, ManifestReader } from './manifest-reader.js';
import { parseArgoDuration } from './manifest-units.js';

/**
 * `spec.strategy` of a Deployment (RollingUpdate, Recreate) or an Argo Rollout (blueGreen, canary) as the
 * scenario's `rollout.strategy`, in its raw form. Kubernetes' RollingUpdate defaults are written out; Argo's
 * equal the scenario's and are left to it.
 */

type Fragment = Record<string, unknown>;

/** Names of the AnalysisTemplates a strategy references: the scenario must declare their bodies. */
export type TemplateNames = Set<string>;

/** Argo steps the simulator does not run; the rollout goes on without them. */
const SKIPPED_CANARY_STEPS = new Set(['experiment', 'setHeaderRoute', 'setMirrorRoute', 'plugin']);

export function importDeploymentStrategy(r: ManifestReader): Fragment {
  const path = ['spec', 'strategy'];
  const type = r.string([...path, 'type']) ?? DEPLOYMENT_DEFAULTS.strategyType;
  if (type === 'Recreate') {
    if (r.peek([...path, 'rollingUpdate']) !== undefined) r.fail([...path, 'rollingUpdate'], 'may not be given when type is Recreate');
    return { recreate: {} };
  }
  if (type !== 'RollingUpdate') r.fail([...path, 'type'], `${JSON.stringify(type)} is not a Deployment strategy; expected RollingUpdate or Recreate`);
  const rolling = [...path, 'rollingUpdate'];
  r.object(rolling);
  const maxSurge = intOrPercent(r, [...rolling, 'maxSurge']) ?? DEPLOYMENT_DEFAULTS.maxSurge;
  const maxUnavailable = intOrPercent(r, [...rolling, 'maxUnavailable']) ?? DEPLOYMENT_DEFAULTS.maxUnavailable;
  const problem = rollingBudgetProblem(parseIntOrPercent(maxSurge), parseIntOrPercent(maxUnavailable));
  if (problem !== null) r.fail([...rolling, 'maxUnavailable'], `${problem} (got ${JSON.stringify(maxUnavailable)})`);
  return { rollingUpdate: { maxSurge, maxUnavailable } };
}

export function importRolloutStrategy(r: ManifestReader, templates: TemplateNames, warnings: string[]): Fragment {
  const path = ['spec', 'strategy'];
  const blueGreen = r.object([...path, 'blueGreen']);
  const canary = r.object([...path, 'canary']);
  if ((blueGreen === undefined) === (canary === undefined)) r.fail(path, 'expected exactly one of blueGreen or canary');
  return blueGreen !== undefined
    ? { blueGreen: importBlueGreen(r, [...path, 'blueGreen'], templates) }
    : { canary: importCanary(r, [...path, 'canary'], templates, warnings) };
}

function importBlueGreen(r: ManifestReader, path: FieldPath, templates: TemplateNames): Fragment {
  // Service names and pod metadata only say where traffic and labels go; the simulator has one gateway.
  for (const name of ['activeService', 'previewService', 'activeMetadata', 'previewMetadata']) r.markRead([...path, name]);
  const out: Fragment = {};
  copyInts(r, path, out, ['previewReplicaCount', 'autoPromotionSeconds', 'scaleDownDelaySeconds', 'abortScaleDownDelaySeconds']);
  setIfDefined(out, 'autoPromotionEnabled', r.bool([...path, 'autoPromotionEnabled']));
  setIfDefined(out, 'prePromotionAnalysis', analysisRef(r, [...path, 'prePromotionAnalysis'], templates));
  setIfDefined(out, 'postPromotionAnalysis', analysisRef(r, [...path, 'postPromotionAnalysis'], templates));
  return out;
}

function importCanary(r: ManifestReader, path: FieldPath, templates: TemplateNames, warnings: string[]): Fragment {
  for (const name of ['canaryService', 'stableService', 'canaryMetadata', 'stableMetadata']) r.markRead([...path, name]);
  const out: Fragment = {};
  const steps = r.list([...path, 'steps']);
  if (steps.length > 0) out.steps = steps.flatMap((_, i) => canaryStep(r, [...path, 'steps', i], templates, warnings));
  setIfDefined(out, 'maxSurge', intOrPercent(r, [...path, 'maxSurge']));
  setIfDefined(out, 'maxUnavailable', intOrPercent(r, [...path, 'maxUnavailable']));
  // Which mesh or ingress splits the traffic does not matter: with any, the gateway splits by weight.
  const trafficRouting = r.take([...path, 'trafficRouting']);
  out.trafficRouting = trafficRouting !== undefined && trafficRouting !== null;
  setIfDefined(out, 'dynamicStableScale', r.bool([...path, 'dynamicStableScale']));
  copyInts(r, path, out, ['scaleDownDelaySeconds', 'abortScaleDownDelaySeconds', 'minPodsPerReplicaSet']);
  setIfDefined(out, 'analysis', analysisRef(r, [...path, 'analysis'], templates));
  return out;
}

/** The scenario step (none for a step the simulator skips). */
function canaryStep(r: ManifestReader, path: FieldPath, templates: TemplateNames, warnings: string[]): Fragment[] {
  const step = r.object(path) ?? r.fail(path, 'is empty; expected a canary step such as setWeight: 20');
  const kinds = Object.keys(step);
  if (kinds.length !== 1) r.fail(path, `has ${kinds.join(', ')}; expected exactly one step kind`);
  const kind = kinds[0];
  const at = [...path, kind];
  switch (kind) {
    case 'setWeight':
      return [{ setWeight: percent(r, at) }];
    case 'pause':
      return [{ pause: pauseStep(r, at) }];
    case 'setCanaryScale':
      return [{ setCanaryScale: canaryScale(r, at) }];
    case 'analysis':
      return [{ analysis: analysisRef(r, at, templates) ?? r.fail(at, 'is empty; expected templates') }];
    default:
      if (!SKIPPED_CANARY_STEPS.has(kind)) {
        r.fail(at, `is not an Argo canary step; expected setWeight, pause, setCanaryScale, analysis, ${[...SKIPPED_CANARY_STEPS].join(', ')}`);
      }
      r.markRead(at);
      warnings.push(`${r.field(at)}: this step is not simulated; the canary goes on without it`);
      return [];
  }
}

function pauseStep(r: ManifestReader, path: FieldPath): Fragment {
  r.object(path);
  const at = [...path, 'duration'];
  const value = r.take(at);
  if (value === undefined || value === null) return {};
  const duration = parseArgoDuration(value);
  if (duration === null) r.fail(at, `${JSON.stringify(value)} is not a duration; write seconds (60) or a Go duration such as 10m or 1h30m`);
  return { duration };
}

function canaryScale(r: ManifestReader, path: FieldPath): Fragment {
  r.object(path);
  const out: Fragment = {};
  setIfDefined(out, 'replicas', r.int([...path, 'replicas'], 0));
  if (r.peek([...path, 'weight']) !== undefined) out.weight = percent(r, [...path, 'weight']);
  setIfDefined(out, 'matchTrafficWeight', r.bool([...path, 'matchTrafficWeight']));
  return out;
}

/** `{ templates: [{ templateName }] }` → `{ templates: [name] }`; args, dry runs and the like stay unread. */
function analysisRef(r: ManifestReader, path: FieldPath, templates: TemplateNames): Fragment | undefined {
  if (r.object(path) === undefined) return undefined;
  const refs = r.list([...path, 'templates']);
  if (refs.length === 0) r.fail([...path, 'templates'], 'missing; expected a list of { templateName }');
  const names = refs.map((_, i) => r.string([...path, 'templates', i, 'templateName']) ?? r.fail([...path, 'templates', i, 'templateName'], 'missing; expected the name of an AnalysisTemplate'));
  for (const name of names) templates.add(name);
  return { templates: names };
}

function percent(r: ManifestReader, path: FieldPath): number {
  const v = r.int(path, 0) ?? r.fail(path, 'missing; expected a weight from 0 to 100');
  if (v > 100) r.fail(path, `${v} is above 100; expected a weight from 0 to 100`);
  return v;
}

/** An IntOrString as written (a count, or a whole percentage such as '25%'), checked by the scenario's parser. */
function intOrPercent(r: ManifestReader, path: FieldPath): IntOrPercentText | undefined {
  const v = r.take(path);
  if (v === undefined || v === null) return undefined;
  parseIntOrPercent(v, r.field(path));
  return v as IntOrPercentText;
}

function copyInts(r: ManifestReader, path: FieldPath, out: Fragment, fields: readonly string[]): void {
  for (const field of fields) setIfDefined(out, field, r.int([...path, field], 0));
}

function setIfDefined(out: Fragment, key: string, value: unknown): void {
  if (value !== undefined) out[key] = value;
}
