import { resolve } from 'node:path';
import { DEPLOYMENT_DEFAULTS } from '../config/upstream-defaults.js';
import { InputError } from '../errors.js';
import { canaryTarget, importFlaggerCanary } from './manifest-flagger.js';
import { parseDocuments } from './manifest-documents.js';
import { applyGatewayManifests } from './manifest-gateway.js';
import { importAnalysisTemplate, isAnalysisTemplate } from './manifest-analysis.js';
import { importPodTemplate } from './manifest-pod.js';
import { importLeaderWorkerSet } from './manifest-lws.js';
import { importLlmInferenceService } from './manifest-llmisvc.js';
import type { ManifestFragment } from './manifest-fragment.js';

export type { ManifestFragment } from './manifest-fragment.js';
import { tensorParallelOverride } from './lint.js';
import { ManifestReader } from './manifest-reader.js';
import { importDeploymentStrategy, importRolloutStrategy, type TemplateNames } from './manifest-strategy.js';
import { INPUT_LIMITS, readInputFile } from '../config/input-file.js';

/**
 * Imports a real `apps/v1` Deployment (with, optionally, the Flagger `Canary` that targets it) or
 * `argoproj.io/v1alpha1` Rollout as a fragment of a scenario in its raw
 * (user-written) form, so the scenario schema validates it exactly as if the user had typed it. What the
 * simulator does not model is listed in one warning, never dropped silently.
 */

export interface ManifestImport {
  fragment: ManifestFragment;
  warnings: string[];
}

const WORKLOADS: Readonly<Record<string, string>> = {
  Deployment: 'apps/v1',
  Rollout: 'argoproj.io/v1alpha1',
  LeaderWorkerSet: 'leaderworkerset.x-k8s.io/v1',
  LLMInferenceService: 'serving.kserve.io/v1alpha1',
};
/** Fields that name or select things but change no behaviour. */
const METADATA_FIELDS = [['apiVersion'], ['kind'], ['metadata'], ['spec', 'selector'], ['spec', 'template', 'metadata']];

/** Reads `file` (relative to `baseDir`); `path` is the scenario field that named it, for messages. */
export function importManifest(file: string, baseDir: string, path = 'spec.deployment.manifest'): ManifestImport {
  const full = resolve(baseDir, file);
  const text = readInputFile(full, { what: 'manifest file', maxBytes: INPUT_LIMITS.manifest, path });
  return importManifestText(text, `${path} (${file})`);
}

/** `where` names the manifest in errors and warnings, e.g. `spec.deployment.manifest (vllm.yaml)`. */
export function importManifestText(text: string, where: string): ManifestImport {
  const documents = parseDocuments(text, where);
  const workloads = documents.filter((d) => typeof d.kind === 'string' && Object.hasOwn(WORKLOADS, d.kind));
  if (workloads.length !== 1) {
    const found = workloads.length === 0 ? 'none' : workloads.map(describe).join(', ');
    throw new InputError(`expected exactly one workload: ${Object.entries(WORKLOADS).map(([kind, api]) => `${kind} (${api})`).join(', ')}; found ${found}`, where);
  }
  const doc = workloads[0];
  if (doc.apiVersion !== WORKLOADS[doc.kind as string]) {
    throw new InputError(`${JSON.stringify(doc.apiVersion)} is not supported for a ${doc.kind}; expected ${WORKLOADS[doc.kind as string]}`, `${where}: apiVersion`);
  }
  const warnings: string[] = [];
  const canary = flaggerCanary(documents, doc, where);
  const analyses = documents.filter(isAnalysisTemplate);
  const others = documents.filter((d) => d !== doc && d !== canary?.doc && !isAnalysisTemplate(d));
  if (others.length > 0) warnings.push(`other documents are not imported: ${others.map(describe).join(', ')}`);
  const r = new ManifestReader(doc, where);
  const imported =
    doc.kind === 'LeaderWorkerSet'
      ? importLwsWorkload(r, warnings)
      : doc.kind === 'LLMInferenceService'
        ? importKserveWorkload(r, warnings)
        : importWorkload(r, doc.kind === 'Rollout', importTemplates(analyses, where, warnings), warnings);
  const unread = [...r.unread(), ...imported.unmodelledArguments];
  if (unread.length > 0) warnings.push(`not modelled, ignored: ${unread.join(', ')}`);
  if (canary) {
    const rollout = imported.fragment.spec.rollout;
    const rolling = rollout?.strategy.rollingUpdate as Record<string, unknown> | undefined;
    if (!rolling) warnings.push(`${describe(doc)}: the primary is promoted with a RollingUpdate (its Recreate strategy is not simulated under Flagger)`);
    const flagger = { ...importFlaggerCanary(canary.reader, warnings), ...rolling };
    const deadline = flagger.progressDeadlineSeconds;
    delete flagger.progressDeadlineSeconds;
    imported.fragment.spec.rollout = { strategy: { flagger: deadline === undefined ? flagger : { ...flagger, progressDeadlineSeconds: deadline } } };
    const canaryUnread = canary.reader.unread();
    if (canaryUnread.length > 0) warnings.push(`${describe(canary.doc)}: not modelled, ignored: ${canaryUnread.join(', ')}`);
  }
  return { fragment: imported.fragment, warnings: warnings.map((w) => (w.startsWith(where) ? w : `${where}: ${w}`)) };
}

/** The AnalysisTemplate documents by name, in the scenario's form. */
function importTemplates(docs: readonly Record<string, unknown>[], where: string, warnings: string[]): Record<string, Record<string, unknown>> {
  const templates: Record<string, Record<string, unknown>> = {};
  for (const doc of docs) {
    const label = `${where}: ${describe(doc)}`;
    if (doc.apiVersion !== 'argoproj.io/v1alpha1') {
      throw new InputError(`${JSON.stringify(doc.apiVersion)} is not supported for a ${String(doc.kind)}; expected argoproj.io/v1alpha1`, `${label}: apiVersion`);
    }
    const r = new ManifestReader(doc, label);
    const { name, template } = importAnalysisTemplate(r);
    if (Object.hasOwn(templates, name)) throw new InputError(`a second template named ${JSON.stringify(name)}`, label);
    templates[name] = template;
    const unread = r.unread();
    if (unread.length > 0) warnings.push(`${label}: not modelled, ignored: ${unread.join(', ')}`);
  }
  return templates;
}

const CANARY_API = 'flagger.app/v1beta1';

/** The Flagger Canary among the documents, if any: it must target the imported Deployment. */
function flaggerCanary(documents: readonly Doc[], workload: Doc, where: string): { doc: Doc; reader: ManifestReader } | null {
  const canaries = documents.filter((d) => d.kind === 'Canary');
  if (canaries.length === 0) return null;
  if (canaries.length > 1) throw new InputError(`expected at most one Canary; found ${canaries.map(describe).join(', ')}`, where);
  const doc = canaries[0];
  const at = `${where} (${describe(doc)})`;
  if (doc.apiVersion !== CANARY_API) throw new InputError(`${JSON.stringify(doc.apiVersion)} is not supported for a Canary; expected ${CANARY_API}`, `${at}: apiVersion`);
  if (workload.kind !== 'Deployment') throw new InputError(`a Canary targets a Deployment; found ${describe(workload)}`, at);
  const reader = new ManifestReader(doc, at);
  for (const path of [['apiVersion'], ['kind'], ['metadata']]) reader.markRead(path);
  const target = canaryTarget(reader);
  const name = (workload.metadata as { name?: unknown } | undefined)?.name;
  if (target !== name) throw new InputError(`targets Deployment "${target}", but the manifest's Deployment is ${describe(workload)}`, `${at}: spec.targetRef.name`);
  return { doc, reader };
}


function describe(doc: Record<string, unknown>): string {
  const name = (doc.metadata as { name?: unknown } | undefined)?.name;
  return `${String(doc.kind ?? '(no kind)')}/${String(name ?? '(no name)')}`;
}

function importLwsWorkload(r: ManifestReader, warnings: string[]): { fragment: ManifestFragment; unmodelledArguments: readonly string[] } {
  for (const path of [['apiVersion'], ['kind'], ['metadata'], ['spec', 'leaderWorkerTemplate', 'leaderTemplate', 'metadata'], ['spec', 'leaderWorkerTemplate', 'workerTemplate', 'metadata']]) r.markRead(path);
  return importLeaderWorkerSet(r, warnings);
}

function importKserveWorkload(r: ManifestReader, warnings: string[]): { fragment: ManifestFragment; unmodelledArguments: readonly string[] } {
  for (const path of [['apiVersion'], ['kind'], ['metadata']]) r.markRead(path);
  return importLlmInferenceService(r, warnings);
}

function importWorkload(
  r: ManifestReader,
  isRollout: boolean,
  analysisTemplates: Record<string, Record<string, unknown>>,
  warnings: string[],
): { fragment: ManifestFragment; unmodelledArguments: readonly string[] } {
  for (const path of METADATA_FIELDS) r.markRead(path);
  if (r.peek(['spec', 'workloadRef']) !== undefined) r.fail(['spec', 'workloadRef'], 'is not supported; inline the pod template as spec.template');
  if (r.object(['spec', 'template']) === undefined) r.fail(['spec', 'template'], 'missing; expected the pod template');

  const templates: TemplateNames = new Set();
  const strategy = isRollout ? importRolloutStrategy(r, templates, warnings) : importDeploymentStrategy(r);
  const missing = [...templates].filter((name) => !Object.hasOwn(analysisTemplates, name));
  if (missing.length > 0) {
    warnings.push(`analysis templates ${missing.join(', ')} are referenced but not in this file: declare their bodies under spec.rollout.analysisTemplates`);
  }
  const rollout: NonNullable<ManifestFragment['spec']['rollout']> = { strategy };
  if (Object.keys(analysisTemplates).length > 0) rollout.analysisTemplates = analysisTemplates;
  const deadline = r.int(['spec', 'progressDeadlineSeconds'], 1);
  if (deadline !== undefined) rollout.progressDeadlineSeconds = deadline;

  const pod = importPodTemplate(r, ['spec', 'template'], warnings);
  const deployment: Record<string, unknown> = { replicas: r.int(['spec', 'replicas'], 1) ?? DEPLOYMENT_DEFAULTS.replicas };
  const minReadySeconds = r.int(['spec', 'minReadySeconds'], 0);
  if (minReadySeconds !== undefined) deployment.minReadySeconds = minReadySeconds;
  Object.assign(deployment, pod.deployment);

  const fragment: ManifestFragment = { spec: { deployment, rollout } };
  if (pod.tensorParallel !== undefined) fragment.spec.model = { tensorParallel: pod.tensorParallel };
  if (Object.keys(pod.server).length > 0) fragment.spec.server = pod.server;
  return { fragment, unmodelledArguments: pod.unmodelledArguments };
}

// ------------------------------------------------------------------------------------------------------ merge

type Doc = Record<string, unknown>;

/**
 * The scenario over the manifest: every field the scenario writes wins (objects merge deeply, lists and values
 * replace). A model written as a catalog name is `{ name }`, so the manifest's tensorParallel still applies;
 * a strategy or server of another kind than the manifest's replaces it whole.
 */
export function mergeManifestFragment(fragment: object, raw: object): Doc {
  return mergeAt(fragment as Doc, withModelObject(raw as Doc), []) as Doc;
}

function withModelObject(raw: Doc): Doc {
  const spec = raw.spec as Doc | undefined;
  if (typeof spec?.model !== 'string') return raw;
  return { ...raw, spec: { ...spec, model: { name: spec.model } } };
}

function mergeAt(base: unknown, over: unknown, path: readonly string[]): unknown {
  if (over === undefined) return base;
  if (!isMapping(base) || !isMapping(over) || isOtherVariant(path.join('.'), base, over)) return over;
  const out: Doc = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = mergeAt(base[key], value, [...path, key]);
  return out;
}

function isMapping(v: unknown): v is Doc {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The `{ kind: params }` and `model:`-tagged unions of the scenario. */
function isOtherVariant(path: string, base: Doc, over: Doc): boolean {
  if (path === 'spec.rollout.strategy') return Object.keys(over).some((k) => !(k in base));
  if (path === 'spec.server') return (over.model ?? 'llm') !== (base.model ?? 'llm');
  return false;
}

/**
 * The loader's step: when `spec.deployment.manifest` names a file, the raw scenario merged over the imported
 * manifest, and the import's warnings. A manifest's strategy needs the scenario's `spec.rollout.at`; without
 * a rollout section the strategy is left out, with a warning.
 */
export function applyManifest(raw: unknown, baseDir: string): { raw: unknown; warnings: string[] } {
  const gateway = applyGatewayManifests(raw, baseDir);
  const deployment = ((gateway.raw as Doc | null)?.spec as Doc | undefined)?.deployment;
  const manifest = isMapping(deployment) ? deployment.manifest : undefined;
  if (typeof manifest !== 'string') return gateway;
  const merged = applyDeploymentManifest(gateway.raw, manifest, baseDir);
  return { raw: merged.raw, warnings: [...gateway.warnings, ...merged.warnings] };
}

function applyDeploymentManifest(raw: unknown, manifest: string, baseDir: string): { raw: unknown; warnings: string[] } {
  const { fragment, warnings } = importManifest(manifest, baseDir);
  const override = tensorParallelOverride(`spec.deployment.manifest (${manifest})`, fragment.spec.model?.tensorParallel, raw);
  if (override !== null) warnings.push(override);
  const scenarioRollout = ((raw as Doc).spec as Doc).rollout;
  if (scenarioRollout === undefined && fragment.spec.rollout !== undefined) {
    delete fragment.spec.rollout;
    warnings.push(`spec.deployment.manifest (${manifest}): its strategy is not simulated because the scenario has no spec.rollout; add spec.rollout.at to roll out`);
  }
  return { raw: mergeManifestFragment(fragment, raw as Doc), warnings };
}
