import type { FieldPath, ManifestReader } from './manifest-reader.js';
import { parseArgoDuration } from './manifest-units.js';

/**
 * A Flagger `Canary` (flagger.app/v1beta1, pkg/apis/flagger/v1beta1/canary.go) as the scenario's
 * `rollout.strategy.flagger`, in its raw form. The target Deployment is imported as the fleet (its pod template,
 * replicas and RollingUpdate, which Flagger copies to the primary); the Canary gives the analysis. Routing
 * details (service, provider, A/B match rules, session affinity), alerts and the webhooks' endpoints are not
 * simulated and are listed as unread; webhooks become gates that pass at once, metric templates must be given
 * as simulated queries under metricTemplates.
 */

type Fragment = Record<string, unknown>;

const WEIGHT_FIELDS = ['stepWeight', 'maxWeight', 'stepWeightPromotion', 'iterations', 'mirrorWeight', 'primaryReadyThreshold', 'canaryReadyThreshold'];

/** The Canary's targetRef name, checked to be a Deployment. */
export function canaryTarget(r: ManifestReader): string {
  const kind = r.string(['spec', 'targetRef', 'kind']);
  if (kind !== 'Deployment') r.fail(['spec', 'targetRef', 'kind'], `${JSON.stringify(kind)} is not simulated; expected a Deployment target`);
  r.markRead(['spec', 'targetRef', 'apiVersion']);
  const name = r.string(['spec', 'targetRef', 'name']);
  if (name === undefined) r.fail(['spec', 'targetRef', 'name'], 'missing; expected the target Deployment\'s name');
  return name;
}

export function importFlaggerCanary(r: ManifestReader, warnings: string[]): Fragment {
  const analysisPath = r.object(['spec', 'analysis']) !== undefined ? ['spec', 'analysis'] : ['spec', 'canaryAnalysis'];
  if (r.object(analysisPath) === undefined) r.fail(['spec', 'analysis'], 'missing; the simulator runs the analysis (skipAnalysis is not simulated)');
  const analysis: Fragment = {};
  const interval = duration(r, [...analysisPath, 'interval']);
  if (interval !== undefined) analysis.interval = interval;
  const threshold = r.int([...analysisPath, 'threshold'], 0);
  if (threshold !== undefined) analysis.threshold = threshold;
  for (const field of WEIGHT_FIELDS) {
    const value = r.int([...analysisPath, field], 0);
    if (value !== undefined) analysis[field] = value;
  }
  const stepWeights = r.list([...analysisPath, 'stepWeights']);
  if (stepWeights.length > 0) {
    analysis.stepWeights = stepWeights.map((_, i) => r.int([...analysisPath, 'stepWeights', i], 1));
  }
  const mirror = r.bool([...analysisPath, 'mirror']);
  if (mirror !== undefined) analysis.mirror = mirror;
  if (r.list([...analysisPath, 'match']).length > 0) {
    warnings.push('analysis.match (A/B testing by header or cookie) is not simulated: with iterations the canary runs as blue-green');
  }
  const templates = new Set<string>();
  analysis.metrics = r.list([...analysisPath, 'metrics']).map((_, i) => importMetric(r, [...analysisPath, 'metrics', i], templates));
  analysis.webhooks = r.list([...analysisPath, 'webhooks']).map((_, i) => importWebhook(r, [...analysisPath, 'webhooks', i]));
  if ((analysis.webhooks as unknown[]).length > 0) {
    warnings.push('webhooks are simulated as gates that pass at once (their url, timeout and metadata are not called): give passAfter or fail in the scenario to model a gate');
  }
  if (templates.size > 0) {
    warnings.push(`metric templates ${[...templates].join(', ')} are referenced: declare them as simulated queries under spec.rollout.strategy.flagger.metricTemplates (MetricTemplate resources are not imported)`);
  }
  const flagger: Fragment = { analysis };
  const deadline = r.int(['spec', 'progressDeadlineSeconds'], 1);
  if (deadline !== undefined) flagger.progressDeadlineSeconds = deadline;
  return flagger;
}

function importMetric(r: ManifestReader, path: FieldPath, templates: Set<string>): Fragment {
  const name = r.string([...path, 'name']);
  if (name === undefined) r.fail([...path, 'name'], 'missing; expected request-success-rate, request-duration or a name with a templateRef');
  const metric: Fragment = { name };
  const interval = duration(r, [...path, 'interval']);
  if (interval !== undefined) metric.interval = interval;
  const threshold = r.take([...path, 'threshold']);
  if (threshold !== undefined) metric.threshold = number(r, [...path, 'threshold'], threshold);
  const range = r.object([...path, 'thresholdRange']);
  if (range !== undefined) {
    metric.thresholdRange = Object.fromEntries(
      (['min', 'max'] as const).flatMap((k) => (range[k] === undefined ? [] : [[k, number(r, [...path, 'thresholdRange', k], r.take([...path, 'thresholdRange', k]))]])),
    );
  }
  const ref = r.string([...path, 'templateRef', 'name']);
  if (ref !== undefined) {
    r.markRead([...path, 'templateRef', 'namespace']);
    metric.templateRef = { name: ref };
    templates.add(ref);
  }
  return metric;
}

function importWebhook(r: ManifestReader, path: FieldPath): Fragment {
  const hook: Fragment = { name: r.string([...path, 'name']) ?? `webhook-${String(path[path.length - 1])}` };
  const type = r.string([...path, 'type']);
  if (type !== undefined) hook.type = type;
  return hook;
}

function duration(r: ManifestReader, path: FieldPath): number | undefined {
  const value = r.take(path);
  if (value === undefined || value === null) return undefined;
  const seconds = parseArgoDuration(value);
  if (seconds === null) r.fail(path, `${JSON.stringify(value)} is not a duration; expected e.g. 30s, 1m`);
  return seconds;
}

function number(r: ManifestReader, path: FieldPath, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) r.fail(path, `${JSON.stringify(value)} is not a number`);
  return value;
}
