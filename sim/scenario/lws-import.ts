import { dirname, resolve } from 'node:path';
import { INPUT_LIMITS, readInputFile } from '../config/input-file.js';
import { intOrPercentProblem } from '../config/int-or-percent.js';
import { InputError } from '../errors.js';
import { parseDocuments } from './manifest-documents.js';
import { ManifestReader, type FieldPath } from './manifest-reader.js';
import { parseK8sQuantity } from './manifest-units.js';

/** What a LeaderWorkerSet manifest gives a `kind: LwsRollout` document's spec.leaderWorkerSet. */
export interface LwsManifestFragment {
  replicas?: number;
  old: { size: number; gpusPerPod: number };
  startupPolicy?: string;
  restartPolicy?: string;
  rolloutStrategy: { maxUnavailable?: number | string; maxSurge?: number | string; partition?: number };
}

const GPU = 'nvidia.com/gpu';
const TEMPLATE_METADATA: readonly FieldPath[] = [
  ['apiVersion'],
  ['kind'],
  ['metadata'],
  ['spec', 'leaderWorkerTemplate', 'workerTemplate', 'metadata'],
  ['spec', 'leaderWorkerTemplate', 'leaderTemplate', 'metadata'],
];

/**
 * Imports a LeaderWorkerSet (leaderworkerset.x-k8s.io/v1): replicas, leaderWorkerTemplate.size, restartPolicy,
 * startupPolicy, rolloutStrategy.rollingUpdateConfiguration, and the GPUs of a worker pod (its containers'
 * nvidia.com/gpu limits). Every other field is listed in one warning, as the Deployment importer does.
 */
export function importLeaderWorkerSetText(text: string, where: string): { fragment: LwsManifestFragment; warnings: string[] } {
  const warnings: string[] = [];
  const doc = onlyDocument(text, where, 'LeaderWorkerSet', 'leaderworkerset.x-k8s.io/v1', warnings);
  const r = new ManifestReader(doc, where);
  for (const path of TEMPLATE_METADATA) r.markRead(path);
  const lwt = ['spec', 'leaderWorkerTemplate'];
  const type = r.string(['spec', 'rolloutStrategy', 'type']);
  if (type !== undefined && type !== 'RollingUpdate') r.fail(['spec', 'rolloutStrategy', 'type'], `${JSON.stringify(type)} is not a rollout strategy; LWS has only RollingUpdate`);
  const rolling = ['spec', 'rolloutStrategy', 'rollingUpdateConfiguration'];
  const count = (key: string) => intOrPercentAt(r, [...rolling, key]);
  const workerGpus = podGpus(r, [...lwt, 'workerTemplate', 'spec']);
  if (r.peek([...lwt, 'leaderTemplate']) !== undefined) {
    const leaderGpus = podGpus(r, [...lwt, 'leaderTemplate', 'spec']);
    if (leaderGpus !== workerGpus) warnings.push(`${r.field([...lwt, 'leaderTemplate'])}: the leader has ${leaderGpus} GPUs, the workers ${workerGpus}; every member is simulated with the workers' ${workerGpus}`);
  }
  if (workerGpus === 0) r.fail([...lwt, 'workerTemplate', 'spec', 'containers'], `no container requests ${GPU}; a model-server group needs GPUs`);
  const fragment: LwsManifestFragment = {
    replicas: r.int(['spec', 'replicas'], 0),
    old: { size: r.int([...lwt, 'size'], 1) ?? 1, gpusPerPod: workerGpus },
    restartPolicy: r.string([...lwt, 'restartPolicy']),
    startupPolicy: r.string(['spec', 'startupPolicy']),
    rolloutStrategy: { maxUnavailable: count('maxUnavailable'), maxSurge: count('maxSurge'), partition: r.int([...rolling, 'partition'], 0) },
  };
  if (fragment.restartPolicy === 'Default') fragment.restartPolicy = 'None';
  const unread = r.unread();
  if (unread.length > 0) warnings.push(`${where}: not modelled, ignored: ${unread.join(', ')}`);
  return { fragment: dropUndefined(fragment), warnings };
}

function onlyDocument(text: string, where: string, kind: string, apiVersion: string, warnings: string[]): Record<string, unknown> {
  const docs = parseDocuments(text, where);
  const found = docs.filter((d) => d.kind === kind);
  if (found.length !== 1) throw new InputError(`expected exactly one ${kind}; found ${found.length}`, where);
  if (found[0].apiVersion !== apiVersion) {
    throw new InputError(`${JSON.stringify(found[0].apiVersion)} is not supported for a ${kind}; expected ${apiVersion}`, `${where}: apiVersion`);
  }
  if (docs.length > 1) warnings.push(`${where}: other documents are not imported`);
  return found[0];
}

/**
 * Imports one workload of a KServe LLMInferenceService (serving.kserve.io/v1alpha1): the main (decode, when a
 * prefill block exists) or the `prefill` one. `replicas`, `rolloutStrategy` (maxUnavailable, maxSurge: LWS's
 * defaults when left out) and the pods' GPUs; with `worker` set the workload is multi-node through LWS, a group of
 * `parallelism.pipeline` pods (or data / dataLocal for data parallelism across nodes), else one pod. Router weights
 * (route.group / route.weight, for canaries between services) and every other field are warned as not modelled.
 */
export function importLlmInferenceServiceText(text: string, where: string, workload: 'main' | 'prefill'): { fragment: LwsManifestFragment; warnings: string[] } {
  const warnings: string[] = [];
  const doc = onlyDocument(text, where, 'LLMInferenceService', 'serving.kserve.io/v1alpha1', warnings);
  const r = new ManifestReader(doc, where);
  for (const path of [['apiVersion'], ['kind'], ['metadata']] as const) r.markRead(path);
  const base: FieldPath = workload === 'prefill' ? ['spec', 'prefill'] : ['spec'];
  if (workload === 'prefill' && r.peek(base) === undefined) r.fail(base, 'is missing; a prefill pool needs the LLMInferenceService\'s spec.prefill');
  if (r.peek([...base, 'scaling']) !== undefined) warnings.push(`${r.field([...base, 'scaling'])}: autoscaling is not simulated; the fleet stays at its replicas`);
  const gpus = podGpus(r, [...base, 'template']);
  const multiNode = r.peek([...base, 'worker']) !== undefined;
  let size = 1;
  if (multiNode) {
    const workerGpus = podGpus(r, [...base, 'worker']);
    if (gpus !== workerGpus) warnings.push(`${r.field([...base, 'worker'])}: ${workerGpus} GPUs per worker, ${gpus} in the head pod; every member is simulated with the workers' ${workerGpus}`);
    const pipeline = r.int([...base, 'parallelism', 'pipeline'], 1);
    const data = r.int([...base, 'parallelism', 'data'], 1);
    const dataLocal = r.int([...base, 'parallelism', 'dataLocal'], 1);
    size = pipeline ?? (data !== undefined ? Math.ceil(data / (dataLocal ?? 1)) : 0);
    if (size < 2) r.fail([...base, 'parallelism'], 'a multi-node workload (worker set) needs parallelism.pipeline ≥ 2, or data / dataLocal ≥ 2, to give the group size');
  }
  r.int([...base, 'parallelism', 'tensor'], 1);
  const perPod = multiNode ? podGpus(r, [...base, 'worker']) : gpus;
  if (perPod === 0) r.fail([...base, multiNode ? 'worker' : 'template'], `no container requests ${GPU}; a model server needs GPUs`);
  const rolling = [...base, 'rolloutStrategy'];
  const count = (key: string) => intOrPercentAt(r, [...rolling, key]);
  const weight = r.peek(['spec', 'router', 'route', 'weight']);
  if (weight !== undefined) warnings.push(`${r.field(['spec', 'router', 'route', 'weight'])}: router weight ${JSON.stringify(weight)} splits traffic between services; group documents roll one service and do not simulate the split`);
  const fragment: LwsManifestFragment = {
    replicas: r.int([...base, 'replicas'], 0),
    old: { size, gpusPerPod: perPod },
    rolloutStrategy: { maxUnavailable: count('maxUnavailable'), maxSurge: count('maxSurge') },
  };
  const other: FieldPath[] = workload === 'prefill' ? [['spec', 'prefill']] : [['spec']];
  const unread = r.unread().filter((f) => other.some((o) => f.startsWith(o.join('.'))) && !(workload === 'main' && f.startsWith('spec.prefill')));
  if (unread.length > 0) warnings.push(`${where}: not modelled, ignored: ${unread.join(', ')}`);
  return { fragment: dropUndefined(fragment), warnings };
}

/** Σ nvidia.com/gpu limits (else requests) over a pod's containers. */
/** A rolling-update budget (maxUnavailable, maxSurge): a count or a percentage, undefined when left out. */
export function intOrPercentAt(r: ManifestReader, path: FieldPath): number | string | undefined {
  const v = r.take(path);
  if (v === undefined || v === null) return undefined;
  const problem = intOrPercentProblem(v);
  if (problem !== null) r.fail(path, `${JSON.stringify(v)} ${problem}`);
  return v as number | string;
}

export function podGpus(r: ManifestReader, spec: FieldPath): number {
  const containers = r.peek([...spec, 'containers']);
  if (!Array.isArray(containers)) return 0;
  let gpus = 0;
  containers.forEach((_, i) => {
    for (const kind of ['limits', 'requests']) {
      const path = [...spec, 'containers', i, 'resources', kind, GPU];
      const v = r.take(path);
      if (v === undefined) continue;
      const n = parseK8sQuantity(v);
      if (n === null || !Number.isInteger(n) || n < 0) r.fail(path, `${JSON.stringify(v)} is not a GPU count`);
      gpus += n;
      break;
    }
  });
  return gpus;
}

function dropUndefined<T>(o: T): T {
  return JSON.parse(JSON.stringify(o)) as T;
}

const LWS_BLOCKS = ['leaderWorkerSet', 'prefill', 'decode'] as const;

/**
 * A group document's LeaderWorkerSet blocks may name a manifest (`manifest: lws.yaml`, relative to the document):
 * its fields fill the block, and what the block writes itself wins. Returns the document without the
 * `manifest` keys and the import's warnings.
 */
export function applyLwsManifests(doc: unknown, file: string): { doc: unknown; warnings: string[] } {
  const spec = (doc as { spec?: Record<string, unknown> } | null)?.spec;
  if (spec === null || typeof spec !== 'object') return { doc, warnings: [] };
  const warnings: string[] = [];
  const out = { ...spec };
  for (const key of LWS_BLOCKS) {
    const block = out[key] as Record<string, unknown> | undefined;
    if (block === null || typeof block !== 'object' || typeof block.manifest !== 'string') continue;
    const path = `spec.${key}.manifest`;
    const text = readInputFile(resolve(dirname(file), block.manifest), { what: 'manifest file', maxBytes: INPUT_LIMITS.manifest, path });
    const where = `${path} (${block.manifest})`;
    const imported = /^kind:\s*LLMInferenceService\s*$/m.test(text) ? importLlmInferenceServiceText(text, where, key === 'prefill' ? 'prefill' : 'main') : importLeaderWorkerSetText(text, where);
    warnings.push(...imported.warnings);
    const { manifest: _manifest, ...own } = block;
    const strategy = { ...imported.fragment.rolloutStrategy, ...((own.rolloutStrategy as object | undefined) ?? {}) };
    out[key] = { ...imported.fragment, ...own, rolloutStrategy: strategy };
  }
  return { doc: { ...(doc as object), spec: out }, warnings };
}
