import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DEPLOYMENT_DEFAULTS } from '../config/upstream-defaults.js';
import { InputError } from '../errors.js';
import { importPodTemplate } from './manifest-pod.js';
import { ManifestReader } from './manifest-reader.js';
import { importDeploymentStrategy, importRolloutStrategy, type TemplateNames } from './manifest-strategy.js';
import { INPUT_LIMITS, readInputFile } from '../config/input-file.js';

/**
 * Imports a real `apps/v1` Deployment or `argoproj.io/v1alpha1` Rollout as a fragment of a scenario in its raw
 * (user-written) form, so the scenario schema validates it exactly as if the user had typed it. What the
 * simulator does not model is listed in one warning, never dropped silently.
 */

export interface ManifestFragment {
  spec: {
    deployment: Record<string, unknown>;
    rollout?: { strategy: Record<string, unknown>; progressDeadlineSeconds?: number };
    model?: { tensorParallel: number };
    server?: Record<string, unknown>;
  };
}

export interface ManifestImport {
  fragment: ManifestFragment;
  warnings: string[];
}

const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_ALIAS_COUNT = 100;
const WORKLOADS: Readonly<Record<string, string>> = { Deployment: 'apps/v1', Rollout: 'argoproj.io/v1alpha1' };
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
    throw new InputError(`expected exactly one Deployment (apps/v1) or Rollout (argoproj.io/v1alpha1); found ${found}`, where);
  }
  const doc = workloads[0];
  if (doc.apiVersion !== WORKLOADS[doc.kind as string]) {
    throw new InputError(`${JSON.stringify(doc.apiVersion)} is not supported for a ${doc.kind}; expected ${WORKLOADS[doc.kind as string]}`, `${where}: apiVersion`);
  }
  const warnings: string[] = [];
  const others = documents.filter((d) => d !== doc);
  if (others.length > 0) warnings.push(`other documents are not imported: ${others.map(describe).join(', ')}`);
  const r = new ManifestReader(doc, where);
  const fragment = importWorkload(r, doc.kind === 'Rollout', warnings);
  const unread = [...r.unread(), ...fragment.unmodelledArguments];
  if (unread.length > 0) warnings.push(`not modelled, ignored: ${unread.join(', ')}`);
  return { fragment: fragment.fragment, warnings: warnings.map((w) => (w.startsWith(where) ? w : `${where}: ${w}`)) };
}

export function parseDocuments(text: string, where: string): Record<string, unknown>[] {
  if (text.length > MAX_FILE_BYTES) throw new InputError(`the file is ${text.length} bytes; manifests are limited to ${MAX_FILE_BYTES}`, where);
  const out: Record<string, unknown>[] = [];
  for (const [i, doc] of parseAllDocuments(text, { uniqueKeys: true }).entries()) {
    if (doc.errors.length > 0) throw new InputError(`not valid YAML: ${doc.errors[0].message.split('\n')[0]}`, where);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      throw new InputError(`YAML: ${(err as Error).message} (aliases are limited to ${MAX_ALIAS_COUNT})`, where);
    }
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new InputError(`document ${i + 1} is not a Kubernetes object (a mapping with apiVersion and kind)`, where);
    out.push(value as Record<string, unknown>);
  }
  return out;
}

function describe(doc: Record<string, unknown>): string {
  const name = (doc.metadata as { name?: unknown } | undefined)?.name;
  return `${String(doc.kind ?? '(no kind)')}/${String(name ?? '(no name)')}`;
}

function importWorkload(r: ManifestReader, isRollout: boolean, warnings: string[]): { fragment: ManifestFragment; unmodelledArguments: readonly string[] } {
  for (const path of METADATA_FIELDS) r.markRead(path);
  if (r.peek(['spec', 'workloadRef']) !== undefined) r.fail(['spec', 'workloadRef'], 'is not supported; inline the pod template as spec.template');
  if (r.object(['spec', 'template']) === undefined) r.fail(['spec', 'template'], 'missing; expected the pod template');

  const templates: TemplateNames = new Set();
  const strategy = isRollout ? importRolloutStrategy(r, templates, warnings) : importDeploymentStrategy(r);
  if (templates.size > 0) {
    warnings.push(`analysis templates ${[...templates].join(', ')} are referenced: declare their bodies under spec.rollout.analysisTemplates (AnalysisTemplate resources are not imported)`);
  }
  const rollout: NonNullable<ManifestFragment['spec']['rollout']> = { strategy };
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
  const deployment = ((raw as Doc | null)?.spec as Doc | undefined)?.deployment;
  const manifest = isMapping(deployment) ? deployment.manifest : undefined;
  if (typeof manifest !== 'string') return { raw, warnings: [] };
  const { fragment, warnings } = importManifest(manifest, baseDir);
  const scenarioRollout = ((raw as Doc).spec as Doc).rollout;
  if (scenarioRollout === undefined && fragment.spec.rollout !== undefined) {
    delete fragment.spec.rollout;
    warnings.push(`spec.deployment.manifest (${manifest}): its strategy is not simulated because the scenario has no spec.rollout; add spec.rollout.at to roll out`);
  }
  return { raw: mergeManifestFragment(fragment, raw as Doc), warnings };
}
