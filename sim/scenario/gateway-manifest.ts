import { resolve } from 'node:path';
import { INPUT_LIMITS, readInputFile } from '../config/input-file.js';
import { InputError } from '../errors.js';
import { mergeManifestFragment } from './manifest.js';
import { parseDocuments } from './manifest-documents.js';
import { ManifestReader } from './manifest-reader.js';

/**
 * Imports the Gateway API Inference Extension resources of an adapter or model rollout (docs/lora.md) as the
 * scenario's rollout strategy, in its raw form (the schema then validates it as if typed):
 * - an `InferenceModelRewrite` (inference.networking.k8s.io/v1alpha2) rule with two weighted targets, or an
 *   `InferenceModel` (inference.networking.x-k8s.io/v1alpha2) with two weighted `targetModels`: an in-pool
 *   rewrite, `adapterRewrite` from the first target to the second;
 * - an `HTTPRoute` (gateway.networking.k8s.io/v1) rule whose two backendRefs are InferencePools: two pools,
 *   `inferencePoolSplit`, the first backend being the pool serving now and the second the new one.
 * - two KServe `LLMInferenceService`s (serving.kserve.io/v1alpha1) of one `spec.router.route.group`: KServe
 *   gives each its pool and writes their proportional `weight`s as HTTPRoute backendRefs, so this too is
 *   `inferencePoolSplit` (the first document serving now; the second's spec.replicas the new pool's size).
 * The weights are a snapshot, so the strategy holds the second target's share (a setWeight, then an indefinite
 * pause); the scenario's own steps replace them. `InferencePool`s are read for their names only. Every field
 * not modelled is listed in a warning.
 */

export interface GatewayImport {
  fragment: { spec: { rollout: { strategy: Record<string, unknown> }; routing?: { policy: string } } };
  warnings: string[];
}

const REWRITE_API = 'inference.networking.k8s.io/v1alpha2';
const MODEL_APIS = ['inference.networking.x-k8s.io/v1alpha2', 'inference.networking.k8s.io/v1alpha2'];
const ROUTE_API = 'gateway.networking.k8s.io/v1';
const POOL_APIS = ['inference.networking.k8s.io/v1', 'inference.networking.x-k8s.io/v1alpha2'];
const KSERVE_API = 'serving.kserve.io/v1alpha1';

interface WeightedTarget {
  name: string;
  weight: number;
}

export function importGatewayManifest(file: string, baseDir: string, path = 'spec.rollout.gatewayManifest'): GatewayImport {
  const text = readInputFile(resolve(baseDir, file), { what: 'gateway manifest', maxBytes: INPUT_LIMITS.manifest, path });
  return importGatewayText(text, `${path} (${file})`);
}

export function importGatewayText(text: string, where: string): GatewayImport {
  const docs = parseDocuments(text, where);
  const warnings: string[] = [];
  const kinds = (kind: string) => docs.filter((d) => d.kind === kind);
  const services = kinds('LLMInferenceService');
  if (services.length > 0) return importKServeGroup(services, docs, where);
  const rollouts = [...kinds('InferenceModelRewrite'), ...kinds('InferenceModel'), ...kinds('HTTPRoute')];
  if (rollouts.length !== 1) {
    const found = rollouts.length === 0 ? 'none' : rollouts.map(describe).join(', ');
    throw new InputError(`expected exactly one InferenceModelRewrite, InferenceModel (targetModels) or HTTPRoute with two weighted targets; found ${found}`, where);
  }
  const doc = rollouts[0];
  const r = new ManifestReader(doc, `${where}: ${describe(doc)}`);
  for (const field of [['kind'], ['metadata']]) r.markRead(field);
  let strategy: Record<string, unknown>;
  if (doc.kind === 'InferenceModelRewrite') {
    expectApi(r, [REWRITE_API]);
    strategy = adapterRewrite(rewriteTargets(r, warnings));
  } else if (doc.kind === 'InferenceModel') {
    expectApi(r, MODEL_APIS);
    r.markRead(['spec', 'modelName']);
    r.markRead(['spec', 'poolRef']);
    strategy = adapterRewrite(targetsAt(r, ['spec', 'targetModels'], 'name'));
  } else {
    expectApi(r, [ROUTE_API]);
    strategy = poolSplit(routeBackends(r));
  }
  for (const pool of kinds('InferencePool')) {
    const p = new ManifestReader(pool, `${where}: ${describe(pool)}`);
    expectApi(p, POOL_APIS);
    for (const field of [['kind'], ['metadata'], ['spec', 'selector']]) p.markRead(field);
    const unread = p.unread();
    if (unread.length > 0) warnings.push(`${p.where}: not modelled (the pool is the scenario's fleet), ignored: ${unread.join(', ')}`);
  }
  const others = docs.filter((d) => d !== doc && d.kind !== 'InferencePool');
  if (others.length > 0) warnings.push(`${where}: other documents are not imported: ${others.map(describe).join(', ')}`);
  const unread = r.unread();
  if (unread.length > 0) warnings.push(`${r.where}: not modelled, ignored: ${unread.join(', ')}`);
  // The endpoint picker of an InferencePool scores LoRA affinity by default.
  return { fragment: { spec: { rollout: { strategy }, routing: { policy: 'lora-affinity' } } }, warnings };
}

/**
 * KServe's canary between two LLMInferenceServices of one routing group. Weights are proportional (9 and 1 give
 * 90/10); everything about the model and its pods besides the new one's replicas is the scenario's.
 */
function importKServeGroup(services: readonly Record<string, unknown>[], docs: readonly Record<string, unknown>[], where: string): GatewayImport {
  if (services.length !== 2) {
    throw new InputError(`expected two LLMInferenceServices of one routing group (the version serving now, then the new one); found ${services.length}`, where);
  }
  const warnings: string[] = [];
  const readers = services.map((doc) => new ManifestReader(doc, `${where}: ${describe(doc)}`));
  const targets = readers.map((r) => {
    expectApi(r, [KSERVE_API]);
    for (const field of [['kind'], ['metadata']]) r.markRead(field);
    const group = r.string(['spec', 'router', 'route', 'group']) ?? r.fail(['spec', 'router', 'route', 'group'], 'missing; a canary pairs the services of one routing group');
    return { group, name: String((r.peek(['metadata', 'name']) as string | undefined) ?? ''), weight: r.int(['spec', 'router', 'route', 'weight'], 0) ?? 1 };
  });
  if (targets[0].group !== targets[1].group) {
    readers[1].fail(['spec', 'router', 'route', 'group'], `"${targets[1].group}" differs from "${targets[0].group}"; a canary pairs the services of one routing group`);
  }
  const replicas = readers[1].int(['spec', 'replicas'], 1);
  readers[0].markRead(['spec', 'replicas']);
  for (const r of readers) {
    const unread = r.unread();
    if (unread.length > 0) warnings.push(`${r.where}: not modelled (the model and pods are the scenario's), ignored: ${unread.join(', ')}`);
  }
  const others = docs.filter((d) => d.kind !== 'LLMInferenceService');
  if (others.length > 0) warnings.push(`${where}: other documents are not imported: ${others.map(describe).join(', ')}`);
  const split = poolSplit(targets).inferencePoolSplit as Record<string, unknown>;
  const strategy = { inferencePoolSplit: { ...(replicas === undefined ? {} : { replicas }), ...split } };
  return { fragment: { spec: { rollout: { strategy }, routing: { policy: 'lora-affinity' } } }, warnings };
}

/** The loader's step: `spec.rollout.gatewayManifest` imported under the scenario (whose fields win). */
export function applyGatewayManifest(raw: unknown, baseDir: string): { raw: unknown; warnings: string[] } {
  const rollout = ((raw as Record<string, unknown> | null)?.spec as Record<string, unknown> | undefined)?.rollout as Record<string, unknown> | undefined;
  const file = rollout?.gatewayManifest;
  if (typeof file !== 'string') return { raw, warnings: [] };
  const { fragment, warnings } = importGatewayManifest(file, baseDir);
  return { raw: mergeManifestFragment(fragment, raw as object), warnings };
}

function adapterRewrite([from, to]: readonly WeightedTarget[]): Record<string, unknown> {
  return { adapterRewrite: { from: from.name, to: to.name, steps: heldAt(from, to) } };
}

function poolSplit([current, added]: readonly WeightedTarget[]): Record<string, unknown> {
  return { inferencePoolSplit: { steps: heldAt(current, added) } };
}

/** The snapshot: the second target's share, held until promoted. */
function heldAt(first: WeightedTarget, second: WeightedTarget): object[] {
  return [{ setWeight: sharePercent(second.weight, first.weight + second.weight) }, { pause: {} }];
}

function sharePercent(weight: number, total: number): number {
  return total === 0 ? 0 : Math.round((10_000 * weight) / total) / 100;
}

function rewriteTargets(r: ManifestReader, warnings: string[]): WeightedTarget[] {
  r.markRead(['spec', 'poolRef']);
  const rules = r.list(['spec', 'rules']);
  if (rules.length !== 1) r.fail(['spec', 'rules'], `has ${rules.length} rules; expected one rule (the rewrite of one model)`);
  const matches = r.list(['spec', 'rules', 0, 'matches']);
  r.markRead(['spec', 'rules', 0, 'matches']);
  if (matches.length > 0) {
    warnings.push(`${r.where}: the model name clients use (${JSON.stringify(matches)}) is simulated as the first target: traffic.adapters names it`);
  }
  return targetsAt(r, ['spec', 'rules', 0, 'targets'], 'modelRewrite');
}

function targetsAt(r: ManifestReader, path: readonly (string | number)[], nameField: string): WeightedTarget[] {
  const targets = r.list(path);
  if (targets.length !== 2) r.fail(path, `has ${targets.length} targets; expected two (the version serving now, then the new one)`);
  return targets.map((_, i) => ({
    name: r.string([...path, i, nameField]) ?? r.fail([...path, i, nameField], 'missing; expected the adapter name'),
    // The Gateway API's default weight is 1.
    weight: r.int([...path, i, 'weight'], 0) ?? 1,
  }));
}

function routeBackends(r: ManifestReader): WeightedTarget[] {
  r.markRead(['spec', 'parentRefs']);
  r.markRead(['spec', 'hostnames']);
  const rules = r.list(['spec', 'rules']);
  if (rules.length !== 1) r.fail(['spec', 'rules'], `has ${rules.length} rules; expected one rule with two InferencePool backendRefs`);
  r.markRead(['spec', 'rules', 0, 'matches']);
  const path = ['spec', 'rules', 0, 'backendRefs'];
  const refs = r.list(path);
  refs.forEach((_, i) => {
    r.markRead([...path, i, 'group']);
    const kind = r.string([...path, i, 'kind']);
    if (kind !== 'InferencePool') r.fail([...path, i, 'kind'], `${JSON.stringify(kind)}: expected InferencePool (a second pool is a rollout between pools)`);
  });
  return targetsAt(r, path, 'name');
}

function expectApi(r: ManifestReader, apis: readonly string[]): void {
  const api = r.string(['apiVersion']);
  if (api === undefined || !apis.includes(api)) r.fail(['apiVersion'], `${JSON.stringify(api)} is not supported; expected ${apis.join(' or ')}`);
}

function describe(doc: Record<string, unknown>): string {
  const name = (doc.metadata as { name?: unknown } | undefined)?.name;
  return `${String(doc.kind ?? '(no kind)')}/${String(name ?? '(no name)')}`;
}
