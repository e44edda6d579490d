import { intOrPercentAt, podGpus } from './lws-import.js';
import type { ManifestFragment } from './manifest-fragment.js';
import { importPodSpec } from './manifest-pod.js';
import type { FieldPath, ManifestReader } from './manifest-reader.js';

/**
 * A KServe LLMInferenceService (serving.kserve.io/v1alpha1, kserve's llm_inference_service_types.go) as a
 * scenario's deployment: the main workload (the decode role when `prefill` is set) with its replicas, pod
 * (`template`, a PodSpec: probes, preStop, grace, resources, vLLM flags) and `rolloutStrategy`; `worker` makes it
 * multi-node through LeaderWorkerSet (a group of `parallelism.pipeline` pods, or data / dataLocal); `prefill`
 * becomes `deployment.disaggregation.prefill`, its two workloads rolled independently as KServe rolls them (the
 * KV link is not in the manifest: the scenario gives deployment.disaggregation.kvTransfer);
 * `router.scheduler` (the inference scheduler) is the endpoint picker. Router weights between services, scaling
 * and every other field are warned as not modelled.
 */
export function importLlmInferenceService(r: ManifestReader, warnings: string[]): { fragment: ManifestFragment; unmodelledArguments: readonly string[] } {
  r.markRead(['spec', 'model']);
  const main = importWorkload(r, ['spec'], warnings);
  const deployment: Record<string, unknown> = { replicas: r.int(['spec', 'replicas'], 0) ?? 1, ...main.deployment };
  const fragment: ManifestFragment = { spec: { deployment, rollout: { strategy: main.strategy } } };
  if (main.tensorParallel !== undefined) fragment.spec.model = { tensorParallel: main.tensorParallel };
  if (Object.keys(main.server).length > 0) fragment.spec.server = main.server;

  const prefillBase: FieldPath = ['spec', 'prefill'];
  if (r.peek(prefillBase) !== undefined) {
    // The prefill pods are simulated with the main pod's settings: only their number, GPUs, group and rolling
    // update are read; the rest of their template stays in the "not modelled" warning.
    const size = groupSize(r, prefillBase);
    const role: Record<string, unknown> = { replicas: r.int([...prefillBase, 'replicas'], 1) ?? 1, tensorParallel: podGpus(r, [...prefillBase, 'template']) };
    if (size > 1) role.leaderWorkerSet = { size, layout: multiNodeLayout(r, prefillBase) };
    deployment.disaggregation = { prefill: role };
    // When either role is a group both roll as LeaderWorkerSets (a single-pod role as groups of one).
    const lws = size > 1 || 'leaderWorkerSet' in main.strategy;
    if (lws) fragment.spec.rollout!.strategy = { leaderWorkerSet: Object.values(main.strategy)[0] };
    const prefillStrategy = rollingBudgets(r, prefillBase);
    const override = lws ? 'prefillLeaderWorkerSet' : 'prefillRollingUpdate';
    fragment.spec.rollout!.disaggregated = { mode: 'independent', ...(Object.keys(prefillStrategy).length === 0 ? {} : { [override]: prefillStrategy }) };
  }

  const router: FieldPath = ['spec', 'router'];
  if (r.peek([...router, 'scheduler']) !== undefined) {
    r.markRead([...router, 'scheduler']);
    fragment.spec.routing = { policy: 'endpoint-picker' };
  }
  const weight = r.peek([...router, 'route', 'weight']);
  if (weight !== undefined) {
    warnings.push(`${r.field([...router, 'route', 'weight'])}: router weight ${JSON.stringify(weight)} splits traffic between LLMInferenceServices; this service is simulated alone (a canary between two services: strategy inferencePoolSplit)`);
  }
  return { fragment, unmodelledArguments: [...main.unmodelledArguments] };
}

interface WorkloadImport {
  readonly deployment: Record<string, unknown>;
  readonly strategy: Record<string, Record<string, unknown>>;
  readonly tensorParallel: number | undefined;
  readonly server: Record<string, unknown>;
  readonly unmodelledArguments: readonly string[];
}

/** One WorkloadSpec (the main one at `spec`, or `spec.prefill`): its pod, its group, its rolling update. */
function importWorkload(r: ManifestReader, base: FieldPath, warnings: string[]): WorkloadImport {
  if (r.peek([...base, 'scaling']) !== undefined) warnings.push(`${r.field([...base, 'scaling'])}: autoscaling is not imported; add deployment.autoscaling to the scenario`);
  const size = groupSize(r, base);
  const pod = importPodSpec(r, [...base, 'template'], warnings, size);
  const deployment: Record<string, unknown> = { ...pod.deployment };
  if (size > 1) {
    const workerGpus = podGpus(r, [...base, 'worker']);
    if (pod.tensorParallel !== undefined && workerGpus !== pod.tensorParallel) {
      warnings.push(`${r.field([...base, 'worker'])}: ${workerGpus} GPUs per worker, ${pod.tensorParallel} in the head pod; every member is simulated with the head's ${pod.tensorParallel}`);
    }
    deployment.leaderWorkerSet = { size, layout: multiNodeLayout(r, base) };
  }
  const rolling = rollingBudgets(r, base);
  return {
    deployment,
    strategy: size > 1 ? { leaderWorkerSet: rolling } : { rollingUpdate: rolling },
    tensorParallel: pod.tensorParallel,
    server: pod.server,
    unmodelledArguments: pod.unmodelledArguments,
  };
}

/** Pods per replica: 1 without `worker`; with it, parallelism.pipeline, else data / dataLocal (KServe's LWS size). */
function groupSize(r: ManifestReader, base: FieldPath): number {
  const parallelism = [...base, 'parallelism'];
  r.int([...parallelism, 'tensor'], 1);
  r.int([...parallelism, 'expert'], 1);
  const pipeline = r.int([...parallelism, 'pipeline'], 1);
  const data = r.int([...parallelism, 'data'], 1);
  const dataLocal = r.int([...parallelism, 'dataLocal'], 1);
  if (r.peek([...base, 'worker']) === undefined) return 1;
  const size = pipeline ?? (data !== undefined ? Math.ceil(data / (dataLocal ?? 1)) : 0);
  if (size < 2) r.fail(parallelism, 'a multi-node workload (worker set) needs parallelism.pipeline ≥ 2, or data / dataLocal ≥ 2, to give the group size');
  return size;
}

/**
 * Pipeline stages when parallelism.pipeline spans the group; data parallelism across nodes (wide expert
 * parallelism) is one engine over every GPU, its per-layer collectives simulated as cross-node tensor parallelism.
 */
function multiNodeLayout(r: ManifestReader, base: FieldPath): 'pipeline' | 'tensor' {
  return r.peek([...base, 'parallelism', 'pipeline']) !== undefined ? 'pipeline' : 'tensor';
}

function rollingBudgets(r: ManifestReader, base: FieldPath): Record<string, unknown> {
  const rolling: Record<string, unknown> = {};
  for (const key of ['maxUnavailable', 'maxSurge']) {
    const v = intOrPercentAt(r, [...base, 'rolloutStrategy', key]);
    if (v !== undefined) rolling[key] = v;
  }
  return rolling;
}
