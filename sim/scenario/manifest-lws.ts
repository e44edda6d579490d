import { intOrPercentAt, podGpus } from './lws-import.js';
import type { ManifestFragment } from './manifest-fragment.js';
import { importPodTemplate, importPreStop } from './manifest-pod.js';
import type { FieldPath, ManifestReader } from './manifest-reader.js';

const LWT: FieldPath = ['spec', 'leaderWorkerTemplate'];
const ROLLING: FieldPath = ['spec', 'rolloutStrategy', 'rollingUpdateConfiguration'];

/**
 * A LeaderWorkerSet (leaderworkerset.x-k8s.io/v1) as a scenario's multi-node deployment (docs/multi-node.md):
 * replicas, leaderWorkerTemplate.size and restartPolicy into `deployment.leaderWorkerSet`, the leader's pod (the
 * leaderTemplate, else the workerTemplate LWS uses for both) as the deployment's pod and server, the layout from
 * the leader's vLLM command line, the workers' preStop, and the rolling update as `strategy.leaderWorkerSet`.
 * The workers' command lines (a Ray worker, or vLLM's headless rank) are not read: they serve no traffic.
 */
export function importLeaderWorkerSet(r: ManifestReader, warnings: string[]): { fragment: ManifestFragment; unmodelledArguments: readonly string[] } {
  const size = r.int([...LWT, 'size'], 1) ?? 1;
  const hasLeaderTemplate = r.peek([...LWT, 'leaderTemplate']) !== undefined;
  const leaderTemplate: FieldPath = [...LWT, hasLeaderTemplate ? 'leaderTemplate' : 'workerTemplate'];
  const pod = importPodTemplate(r, leaderTemplate, warnings, size);

  const leaderWorkerSet: Record<string, unknown> = { size };
  if (size > 1 && pod.layout !== undefined) leaderWorkerSet.layout = pod.layout;
  const restartPolicy = r.string([...LWT, 'restartPolicy']);
  // `Default` is the deprecated name of None (the pod restarts alone).
  if (restartPolicy !== undefined) leaderWorkerSet.restartPolicy = restartPolicy === 'Default' ? 'None' : restartPolicy;
  if (hasLeaderTemplate && size > 1) {
    const workerSpec: FieldPath = [...LWT, 'workerTemplate', 'spec'];
    r.markRead([...LWT, 'workerTemplate', 'metadata']);
    const workerGrace = r.int([...workerSpec, 'terminationGracePeriodSeconds'], 0);
    if (workerGrace !== undefined && workerGrace !== pod.deployment.terminationGracePeriodSeconds) {
      warnings.push(`${r.field([...workerSpec, 'terminationGracePeriodSeconds'])}: ${workerGrace} s for the workers, ${String(pod.deployment.terminationGracePeriodSeconds)} s for the leader; every member is simulated with the leader's`);
    }
    const workerGpus = podGpus(r, workerSpec);
    if (pod.tensorParallel !== undefined && workerGpus !== pod.tensorParallel) {
      warnings.push(`${r.field(workerSpec)}: ${workerGpus} GPUs per worker, ${pod.tensorParallel} in the leader; every member is simulated with the leader's ${pod.tensorParallel}`);
    }
    const containers = r.peek([...workerSpec, 'containers']);
    const workerPreStops = Array.isArray(containers)
      ? containers.map((_, i) => importPreStop(r, [...workerSpec, 'containers', i, 'lifecycle', 'preStop'], warnings)).filter((v): v is number => v !== undefined)
      : [];
    leaderWorkerSet.workerPreStop = { sleep: Math.max(0, ...workerPreStops) };
  }
  const startupPolicy = r.string(['spec', 'startupPolicy']);
  if (startupPolicy === 'LeaderReady') {
    warnings.push(`${r.field(['spec', 'startupPolicy'])}: LeaderReady is simulated as LeaderCreated (workers created with their leader); the group-level kind: LwsRollout models it`);
  }

  const type = r.string(['spec', 'rolloutStrategy', 'type']);
  if (type !== undefined && type !== 'RollingUpdate') r.fail(['spec', 'rolloutStrategy', 'type'], `${JSON.stringify(type)} is not a rollout strategy; LWS has only RollingUpdate`);
  const rolling: Record<string, unknown> = {};
  for (const key of ['maxUnavailable', 'maxSurge']) {
    const v = intOrPercentAt(r, [...ROLLING, key]);
    if (v !== undefined) rolling[key] = v;
  }
  const partition = r.int([...ROLLING, 'partition'], 0);
  if (partition !== undefined) rolling.partition = partition;

  const deployment: Record<string, unknown> = { replicas: r.int(['spec', 'replicas'], 0) ?? 1, ...pod.deployment, leaderWorkerSet };
  const fragment: ManifestFragment = { spec: { deployment, rollout: { strategy: { leaderWorkerSet: rolling } } } };
  if (pod.tensorParallel !== undefined) fragment.spec.model = { tensorParallel: pod.tensorParallel };
  if (Object.keys(pod.server).length > 0) fragment.spec.server = pod.server;
  return { fragment, unmodelledArguments: pod.unmodelledArguments };
}
