import { dirname, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { INPUT_LIMITS, readInputFile } from '../config/input-file.js';
import { intOrPercentProblem } from '../config/int-or-percent.js';
import { InputError } from '../errors.js';
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
  const docs = parseAllDocuments(text, { uniqueKeys: true }).map((d) => {
    if (d.errors.length > 0) throw new InputError(`not valid YAML: ${d.errors[0].message.split('\n')[0]}`, where);
    return d.toJS({ maxAliasCount: 100 }) as Record<string, unknown> | null;
  });
  const lws = docs.filter((d): d is Record<string, unknown> => d !== null && d.kind === 'LeaderWorkerSet');
  if (lws.length !== 1) throw new InputError(`expected exactly one LeaderWorkerSet; found ${lws.length}`, where);
  const doc = lws[0];
  if (doc.apiVersion !== 'leaderworkerset.x-k8s.io/v1') {
    throw new InputError(`${JSON.stringify(doc.apiVersion)} is not supported for a LeaderWorkerSet; expected leaderworkerset.x-k8s.io/v1`, `${where}: apiVersion`);
  }
  const warnings: string[] = [];
  if (docs.length > 1) warnings.push(`${where}: other documents are not imported`);
  const r = new ManifestReader(doc, where);
  for (const path of TEMPLATE_METADATA) r.markRead(path);
  const lwt = ['spec', 'leaderWorkerTemplate'];
  const type = r.string(['spec', 'rolloutStrategy', 'type']);
  if (type !== undefined && type !== 'RollingUpdate') r.fail(['spec', 'rolloutStrategy', 'type'], `${JSON.stringify(type)} is not a rollout strategy; LWS has only RollingUpdate`);
  const rolling = ['spec', 'rolloutStrategy', 'rollingUpdateConfiguration'];
  const count = (key: string): number | string | undefined => {
    const v = r.take([...rolling, key]);
    if (v === undefined || v === null) return undefined;
    const problem = intOrPercentProblem(v);
    if (problem !== null) r.fail([...rolling, key], `${JSON.stringify(v)} ${problem}`);
    return v as number | string;
  };
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

/** Σ nvidia.com/gpu limits (else requests) over a pod's containers. */
function podGpus(r: ManifestReader, spec: FieldPath): number {
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
    const imported = importLeaderWorkerSetText(text, `${path} (${block.manifest})`);
    warnings.push(...imported.warnings);
    const { manifest: _manifest, ...own } = block;
    const strategy = { ...imported.fragment.rolloutStrategy, ...((own.rolloutStrategy as object | undefined) ?? {}) };
    out[key] = { ...imported.fragment, ...own, rolloutStrategy: strategy };
  }
  return { doc: { ...(doc as object), spec: out }, warnings };
}
