import type { WeightDtype } from '../serving/catalog/dtypes.js';
import { parameterCounts, type ModelArchitecture } from '../serving/catalog/models.js';
import { weightBytes } from '../serving/memory.js';
import type { Server } from '../serving/server.js';
import type { VersionRole } from '../traffic/request.js';
import type { ProbeSpec } from './probes.js';
import type { ModelFacts, StartupPhase, StartupSpec } from './startup-spec.js';

/**
 * When the server's port opens. vLLM starts its HTTP server only after engine init (`engine-ready`,
 * startup-and-drain.md table row 15); SGLang and wrappers that open the port first are `process-start` (row 13),
 * where a port probe passes while weights still load.
 */
export type ListenAt = 'process-start' | 'engine-ready';

export interface PodProbes {
  /** null = no probe: Kubernetes counts a missing readiness probe as success, Ready at container start. */
  readonly readiness: ProbeSpec | null;
  readonly liveness: ProbeSpec | null;
  readonly startup: ProbeSpec | null;
}

/** Host resources of one pod (bytes), and its eviction priority. */
export interface PodResources {
  /** What the scheduler reserves on the node. */
  readonly hostMemoryRequest: number;
  /** Working set while the container runs. */
  readonly hostMemoryUsage: number;
  /** Extra working set while weights load (shards staged in host memory on the way to the GPUs). */
  readonly loadingMemory: number;
  /** Ephemeral storage a pod writes while it runs (a hub download into an emptyDir), for disk pressure. */
  readonly ephemeralUsage: number;
  readonly priority: number;
}

const GiB = 1024 ** 3;

/**
 * UNCONFIRMED defaults (knobs under `resources`): per TP rank one worker process with its CUDA context and
 * pinned buffers, ~8 GiB, plus 8 GiB for the API server; during the load the whole checkpoint passes through
 * host memory once. A hub download lands in an emptyDir, so it counts against the node's ephemeral disk.
 */
export function defaultPodResources(model: ModelFacts, tensorParallel: number, hubDownload: boolean): PodResources {
  const usage = 8 * GiB + 8 * GiB * tensorParallel;
  return {
    hostMemoryRequest: usage,
    hostMemoryUsage: usage,
    loadingMemory: model.weightBytes,
    ephemeralUsage: hubDownload ? model.weightBytes : 0,
    priority: 0,
  };
}

/** Knobs that make a version bad (for rollback and stall scenarios). */
export interface PodFaults {
  /** The process exits at the end of this start-up phase on every start (→ CrashLoopBackOff); null = healthy. */
  readonly crashAfter: StartupPhase | null;
  /** Multiplies every start-up phase after the image pull (weight bytes for `auto` loads). */
  readonly startupFactor: number;
  /** Seconds added to the weight load. */
  readonly extraLoadSeconds: number;
}

export const NO_FAULTS: PodFaults = { crashAfter: null, startupFactor: 1, extraLoadSeconds: 0 };

/**
 * LeaderWorkerSet's `restartPolicy`: a member's container restart recreates the whole group (the default), the
 * same unless a member is still Pending (`RecreateGroupAfterStart`), or restarts that pod alone (`None`).
 */
export type GroupRestartPolicy = 'RecreateGroupOnPodRestart' | 'RecreateGroupAfterStart' | 'None';

/**
 * A replica that spans several pods (LeaderWorkerSet `leaderWorkerTemplate`): the template's pod is the leader,
 * which runs the serving engine; `size − 1` worker pods of the same template hold the other ranks' GPUs and
 * weights. The leader serves only while every worker is up.
 */
export interface PodGroupSpec {
  /** Pods per replica, the leader included (LWS `size`). */
  readonly size: number;
  readonly restartPolicy: GroupRestartPolicy;
  /**
   * A worker's preStop sleep: a worker process (a Ray worker) exits at SIGTERM, and the leader's engine loses that
   * rank, so this bounds how long a deleted group can drain.
   */
  readonly workerPreStopSleep: number;
  /** Members repel each other (pod anti-affinity on the group key): each pod of a replica on its own node. */
  readonly onePodPerNode: boolean;
  /** A PodGroup per replica with a gang scheduler (LWS KEP-407): its pods bind together or not at all. */
  readonly gangScheduling: boolean;
  /**
   * LWS hash group identity (PR #987): leaders in a Deployment, each Ready only once its whole group is (the
   * group-ready readiness gate). `replacement` (PR #1050): PostTermination holds new leaders scheduling-gated
   * while the LeaderWorkerSet's deleted groups still tear down; Immediate schedules them at once. Null: ordinal identity.
   */
  readonly hash: { readonly replacement: 'PostTermination' | 'Immediate'; readonly workload: string } | null;
}

/** A ReplicaSet's pod template: everything a pod of one version needs. Seconds and bytes. */
export interface PodTemplate {
  readonly name: string;
  readonly version: VersionRole;
  readonly model: ModelFacts;
  /** GPU catalog name: the pod only fits pools with this GPU. */
  readonly gpu: string;
  readonly tensorParallel: number;
  /** Node labels the pool must carry ({} = every pool with the GPU). */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** Image name: nodes cache images by name, so two versions with one image share pulls. */
  readonly image: string;
  /** Identifies the checkpoint for the page cache: a node that loaded it before reads it from memory. */
  readonly weightsKey: string;
  readonly startup: StartupSpec;
  readonly probes: PodProbes;
  readonly listenAt: ListenAt;
  /** vLLM --shutdown-timeout: 0 aborts in-flight work at SIGTERM, > 0 drains up to this many seconds. */
  readonly shutdownTimeout: number;
  readonly preStopSleep: number;
  readonly terminationGracePeriodSeconds: number;
  readonly minReadySeconds: number;
  readonly resources: PodResources;
  readonly faults: PodFaults;
  /** A multi-node replica's group; null: one pod per replica. */
  readonly group: PodGroupSpec | null;
  /** Called when the engine can serve; `warm` is false when no warm-up ran (first requests are slow). */
  createServer(podId: number, options: { warm: boolean }): Server;
}

/** Pod fields a template takes from the scenario's deployment (schema.ts resolvePodSettings). */
export interface PodSettings {
  readonly probes: PodProbes;
  readonly preStopSleep: number;
  readonly terminationGracePeriodSeconds: number;
  readonly minReadySeconds: number;
}

/** What start-up needs from the serving catalog's model. */
export function modelFactsOf(model: ModelArchitecture, weightDtype: WeightDtype): ModelFacts {
  return {
    name: model.name,
    params: parameterCounts(model).total,
    weightBytes: weightBytes(model, weightDtype),
    jitAddOns: weightDtype === 'fp8' ? (model.fp8JitAddOns ?? []) : [],
  };
}

export interface PodTemplateArgs {
  readonly name: string;
  readonly version: VersionRole;
  readonly model: ModelFacts;
  /** Canonical GPU catalog name (resolveGpu(...).name), as the node pools carry it. */
  readonly gpu: string;
  readonly tensorParallel: number;
  readonly startup: StartupSpec;
  readonly pod: PodSettings;
  /** From the scenario's server: listenAt and shutdownTimeout. */
  readonly listenAt: ListenAt;
  readonly shutdownTimeout: number;
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** Default `rollout-sim/server:<version>`: each version ships its own image. */
  readonly image?: string;
  /** Default `<model>@<version>`: each version ships its own checkpoint. */
  readonly weightsKey?: string;
  readonly resources?: Partial<PodResources>;
  readonly faults?: Partial<PodFaults>;
  readonly group?: PodGroupSpec | null;
  readonly createServer: PodTemplate['createServer'];
}

/** A template with the defaults filled in; its numbers come from the validated scenario (or test code). */
export function makePodTemplate(args: PodTemplateArgs): PodTemplate {
  const hub = args.startup.weightSource === 'hub' && args.startup.weightLoad === 'auto' && !args.startup.localModelCache;
  return {
    name: args.name,
    version: args.version,
    model: args.model,
    gpu: args.gpu,
    tensorParallel: args.tensorParallel,
    nodeSelector: args.nodeSelector ?? {},
    image: args.image ?? `rollout-sim/server:${args.version}`,
    weightsKey: args.weightsKey ?? `${args.model.name}@${args.version}`,
    startup: args.startup,
    probes: args.pod.probes,
    listenAt: args.listenAt,
    shutdownTimeout: args.shutdownTimeout,
    preStopSleep: args.pod.preStopSleep,
    terminationGracePeriodSeconds: args.pod.terminationGracePeriodSeconds,
    minReadySeconds: args.pod.minReadySeconds,
    resources: { ...defaultPodResources(args.model, args.tensorParallel, hub), ...args.resources },
    faults: { ...NO_FAULTS, ...args.faults },
    group: args.group ?? null,
    createServer: args.createServer,
  };
}
