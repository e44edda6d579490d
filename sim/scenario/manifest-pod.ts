import { POD_DEFAULTS } from '../config/upstream-defaults.js';
import type { FieldPath, ManifestReader } from './manifest-reader.js';
import { importServer, type ServerImport } from './manifest-server.js';
import { parseK8sQuantity, parseSleepArgument } from './manifest-units.js';
import { shellWords } from './manifest-vllm.js';

/**
 * The pod template of a Deployment or Rollout: the vLLM container's probes, preStop hook and resources, the
 * pod's termination grace period, and (manifest-server.ts) the server's command line. Written in the
 * scenario's raw form; Kubernetes defaults that differ from the scenario's are written out.
 */

export interface PodImport extends ServerImport {
  /** Fields of spec.deployment. */
  readonly deployment: Record<string, unknown>;
}

const GPU_RESOURCE = 'nvidia.com/gpu';
const PROBE_ROLES = ['readinessProbe', 'livenessProbe', 'startupProbe'] as const;
/** A 0 is replaced by the Kubernetes default (SetDefaults_Probe), so it is left for the scenario's default. */
const PROBE_TIMINGS = ['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold'] as const;
const PROBE_HANDLERS = ['httpGet', 'tcpSocket', 'grpc', 'exec'] as const;
/** OpenAI-compatible endpoints that run the model: a probe on them is a small inference. */
const INFERENCE_ENDPOINT = /\/v1\/(chat\/)?completions\b/;

/** `replicaPods` > 1: a LeaderWorkerSet leader whose engine spans that many pods (manifest-server.ts). */
export function importPodTemplate(r: ManifestReader, template: FieldPath, warnings: string[], replicaPods = 1): PodImport {
  return importPodSpec(r, [...template, 'spec'], warnings, replicaPods);
}

/** The same from a bare PodSpec (KServe's LLMInferenceService `template` and `worker` are PodSpecs). */
export function importPodSpec(r: ManifestReader, pod: FieldPath, warnings: string[], replicaPods = 1): PodImport {
  const containers = r.list([...pod, 'containers']);
  if (containers.length === 0) r.fail([...pod, 'containers'], 'no containers; expected the vLLM server container');
  const index = Math.max(0, containers.findIndex(runsVllm));
  const container = [...pod, 'containers', index];
  r.object(container);
  // The name and image identify the container; the image's contents are described by the scenario's startup.
  r.markRead([...container, 'name']);
  const image = r.string([...container, 'image']) ?? '';

  const deployment: Record<string, unknown> = {};
  for (const role of PROBE_ROLES) deployment[role] = importProbe(r, [...container, role], warnings);
  const preStop = importPreStop(r, [...container, 'lifecycle', 'preStop'], warnings);
  if (preStop !== undefined) deployment.preStop = { sleep: preStop };
  deployment.terminationGracePeriodSeconds = r.int([...pod, 'terminationGracePeriodSeconds'], 0) ?? POD_DEFAULTS.terminationGracePeriodSeconds;
  const memory = hostMemoryRequest(r, [...container, 'resources']);
  if (memory !== undefined) deployment.resources = { hostMemoryRequest: memory };

  const gpus = gpuCount(r, [...container, 'resources']);
  const server = importServer(r, container, /vllm/i.test(image), gpus, warnings, replicaPods);
  if (gpus === undefined) {
    const size = server.tensorParallel === undefined ? 'spec.model.tensorParallel' : `--tensor-parallel-size ${server.tensorParallel}`;
    warnings.push(
      `${r.field([...container, 'resources'])}: no ${GPU_RESOURCE} request or limit, so Kubernetes would give this pod no GPU; ` +
        `it is simulated as a GPU pod holding ${size} GPUs — add resources.limits.${GPU_RESOURCE} to the manifest`,
    );
  }
  return { deployment, ...server };
}

function runsVllm(container: unknown): boolean {
  if (container === null || typeof container !== 'object') return false;
  const { image, command, args } = container as Record<string, unknown>;
  return /vllm/i.test(JSON.stringify([image, command, args]));
}

function importProbe(r: ManifestReader, path: FieldPath, warnings: string[]): Record<string, unknown> | null {
  const probe = r.object(path);
  if (probe === undefined) return null;
  const handlers = PROBE_HANDLERS.filter((h) => probe[h] !== undefined && probe[h] !== null);
  if (handlers.length !== 1) {
    r.fail(path, `has ${handlers.length === 0 ? 'no handler' : `handlers ${handlers.join(', ')}`}; expected exactly one of ${PROBE_HANDLERS.join(', ')}`);
  }
  const out: Record<string, unknown> = { kind: probeKind(r, [...path, handlers[0]], handlers[0], warnings) };
  for (const timing of PROBE_TIMINGS) {
    const v = r.int([...path, timing], 0);
    if (v !== undefined && v > 0) out[timing] = v;
  }
  return out;
}

function probeKind(r: ManifestReader, handlerPath: FieldPath, handler: (typeof PROBE_HANDLERS)[number], warnings: string[]): string {
  const spec = r.take(handlerPath) as Record<string, unknown>;
  switch (handler) {
    case 'tcpSocket':
      return 'port';
    case 'grpc':
      return 'health';
    case 'httpGet':
      return INFERENCE_ENDPOINT.test(String(spec.path ?? '')) ? 'synthetic-inference' : 'health';
    case 'exec': {
      const script = JSON.stringify(spec.command ?? []);
      const where = r.field(handlerPath);
      if (INFERENCE_ENDPOINT.test(script)) {
        warnings.push(`${where}: an exec probe that calls an inference endpoint; simulated as a synthetic-inference probe`);
        return 'synthetic-inference';
      }
      warnings.push(`${where}: an exec probe; simulated as a health check that passes once the server is up`);
      return 'health';
    }
  }
}

/** Seconds of a preStop sleep (native hook or an exec of `sleep N`), or undefined without one. */
export function importPreStop(r: ManifestReader, path: FieldPath, warnings: string[]): number | undefined {
  const hook = r.object(path);
  if (hook === undefined) return undefined;
  if (hook.sleep !== undefined) {
    r.object([...path, 'sleep']);
    return r.int([...path, 'sleep', 'seconds'], 0) ?? r.fail([...path, 'sleep', 'seconds'], 'missing; expected the seconds to sleep');
  }
  const command = hook.exec === undefined ? undefined : r.strings([...path, 'exec', 'command']);
  r.markRead(path);
  const seconds = command === undefined ? null : sleepSeconds(command);
  if (seconds === null) {
    warnings.push(`${r.field(path)}: only a sleep is simulated (lifecycle.preStop.sleep or exec sleep N); this hook is not, so preStop.sleep is 0`);
    return undefined;
  }
  return seconds;
}

/** `["sleep", "15"]`, `["/bin/sh", "-c", "sleep 15"]`: the seconds; anything else: null. */
function sleepSeconds(command: readonly string[]): number | null {
  let words = command;
  if (command.length === 3 && /(^|\/)(ba|da)?sh$/.test(command[0]) && /^-[a-z]*c$/.test(command[1])) {
    words = shellWords(command[2]).filter((w, i, all) => !(w === ';' && i === all.length - 1));
  }
  return words.length === 2 && /(^|\/)sleep$/.test(words[0]) ? parseSleepArgument(words[1]) : null;
}

/** The memory request, or the limit when no request is given (the API server defaults one to the other). */
function hostMemoryRequest(r: ManifestReader, resources: FieldPath): number | undefined {
  const request = [...resources, 'requests', 'memory'];
  const field = r.peek(request) !== undefined ? request : [...resources, 'limits', 'memory'];
  const bytes = quantity(r, field);
  return bytes === undefined ? undefined : Math.ceil(bytes);
}

function gpuCount(r: ManifestReader, resources: FieldPath): number | undefined {
  const limit = quantity(r, [...resources, 'limits', GPU_RESOURCE]);
  const request = quantity(r, [...resources, 'requests', GPU_RESOURCE]);
  if (limit !== undefined && request !== undefined && limit !== request) {
    r.fail([...resources, 'requests', GPU_RESOURCE], `${request} differs from the limit ${limit}; Kubernetes requires extended resources' request and limit to be equal`);
  }
  const gpus = limit ?? request;
  if (gpus === undefined) return undefined;
  const path = [...resources, limit !== undefined ? 'limits' : 'requests', GPU_RESOURCE];
  if (!Number.isInteger(gpus) || gpus < 1) r.fail(path, `${gpus} is not a whole number of GPUs ≥ 1`);
  return gpus;
}

function quantity(r: ManifestReader, path: FieldPath): number | undefined {
  const value = r.take(path);
  if (value === undefined || value === null) return undefined;
  const parsed = parseK8sQuantity(value);
  if (parsed === null || parsed < 0) r.fail(path, `${JSON.stringify(value)} is not a Kubernetes quantity; write e.g. 200Gi, 512Mi, 1.5T or 4`);
  return parsed;
}
