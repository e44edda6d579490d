import { z } from 'zod';
import { NODE_NETWORKS } from '../serving/step-time/multi-node.js';
import type { Distribution } from '../engine/distributions.js';
import { buildDistribution, zDistribution, type DistributionSpec } from '../config/distribution-spec.js';
import { DEPLOYMENT_DEFAULTS, POD_DEFAULTS } from '../config/upstream-defaults.js';
import { zBandwidth, zBytes, zDuration } from '../config/zod-units.js';
import { resolveGpu } from '../serving/catalog/resolve.js';
import { zInlineGpu } from '../serving/catalog/schema.js';
import { AUTOSCALER_PRESETS, CLOUD_PRESETS, type AutoscalerConfig } from './autoscaler.js';
import type { ClusterConfig } from './cluster.js';
import { DEFAULT_EVICTION } from './eviction.js';
import { DEFAULT_EPHEMERAL_DISK, defaultHostMemory, type NodePoolSpec } from './nodes.js';
import { PROBE_DEFAULTS, PROBE_KINDS } from './probes.js';
import { COMPILE_CACHES, JIT_ADD_ONS, STARTUP_PHASES, type PhaseInput, type StartupInput, type StartupPhase } from './startup-spec.js';
import { CONFIGURED_SOURCES, DEFAULT_STORE_LIMITS, WEIGHT_SOURCES, type StoreLimits, type WeightSource } from './storage.js';
import type { PodFaults, PodResources, PodSettings } from './template.js';

/**
 * The scenario fields the cluster owns: `cluster`, `startup`, and the pod-level deployment fields (probes,
 * preStop, terminationGracePeriodSeconds, minReadySeconds). Every default is written out so `rollout-sim schema`
 * shows it; `resolve*` turn the parsed values into the cluster's runtime configuration.
 */

const zDurationDistribution = zDistribution(zDuration);
/** A process can only exit once its container runs: after the image pull. */
const CRASHABLE_PHASES = STARTUP_PHASES.filter((p) => p !== 'imagePull') as [StartupPhase, ...StartupPhase[]];
const zWhole = (min: number) => z.int().min(min);
/**
 * Kubernetes' tested scalability limit is 5,000 nodes per cluster; the simulator holds every node and places
 * pods by scanning them, so far larger pools would only look hung.
 */
export const MAX_CLUSTER_NODES = 5_000;
/** Generous against real GPU nodes (8, at most 16 GPUs), and keeps a typo such as 8000 from passing. */
export const MAX_GPUS_PER_NODE = 64;
const zNodeCount = zWhole(0).max(MAX_CLUSTER_NODES, { error: `expected at most ${MAX_CLUSTER_NODES} nodes (the Kubernetes cluster limit)` });

// ---------------------------------------------------------------------------------------------------- cluster

export const zNodePool = z
  .strictObject({
    name: z.string().min(1),
    gpu: z
      .union([z.string().min(1), zInlineGpu])
      .meta({ description: 'a GPU catalog name, e.g. h100-80gb, or a GPU inline: { name, memory, memoryBandwidth, bf16Tflops, fp8Tflops?, interconnect?, efficiency? }' }),
    gpusPerNode: zWhole(1).max(MAX_GPUS_PER_NODE, { error: `expected at most ${MAX_GPUS_PER_NODE} GPUs per node` }).default(8),
    nodes: zNodeCount.meta({ description: 'nodes at t=0, Ready with GPUs allocatable' }),
    minNodes: zNodeCount.optional().meta({ description: 'the autoscaler keeps at least this many; default: nodes' }),
    maxNodes: zNodeCount.optional().meta({ description: 'the autoscaler adds nodes up to this many; default: nodes (no growth)' }),
    hostMemory: zBytes
      .optional()
      .meta({ description: 'default by GPU: 256 GiB per H100/H200/B200, 144 GiB per A100, 96 GiB per L4/L40S (2 TiB for 8×H100)' }),
    ephemeralDisk: zBytes.prefault(DEFAULT_EPHEMERAL_DISK).meta({ description: 'nodefs: images and emptyDirs (kubelet eviction counts it)' }),
    labels: z.record(z.string(), z.string()).default({}),
    network: z
      .enum([...NODE_NETWORKS.keys()] as [string, ...string[]])
      .optional()
      .meta({ description: "the nodes' network between nodes, per GPU (multi-node replicas' ranks talk over it); default infiniband-ndr" }),
    stockout: z
      .strictObject({
        probability: z.number().min(0).max(1).default(0).meta({ description: 'chance that any one VM request of the pool fails' }),
        windows: z
          .array(
            z.strictObject({ from: zDuration, to: zDuration }).refine((w) => w.to > w.from, { error: 'expected to after from', path: ['to'] }),
          )
          .default([])
          .meta({ description: 'times [from, to) during which every VM request fails' }),
      })
      .optional()
      .meta({ description: 'cloud GPU stockout: the autoscaler\'s VM requests fail (CA backs the pool off nodeGroupBackoff)' }),
  })
  .superRefine((pool, ctx) => {
    const min = pool.minNodes ?? pool.nodes;
    const max = pool.maxNodes ?? pool.nodes;
    if (min > pool.nodes) ctx.addIssue({ code: 'custom', message: `minNodes (${min}) is above nodes (${pool.nodes})`, path: ['minNodes'] });
    if (max < pool.nodes) ctx.addIssue({ code: 'custom', message: `maxNodes (${max}) is below nodes (${pool.nodes})`, path: ['maxNodes'] });
  });

const zAutoscalerObject = z.strictObject({
  cloud: z.enum(CLOUD_PRESETS).default('generic').meta({ description: 'preset timings; none turns the autoscaler off' }),
  scanInterval: zDuration.optional(),
  scaleUpDelay: zDuration.optional().meta({ description: 'a pending pod must be this old to trigger a scale-up (CA: 30 s for GPU pods)' }),
  nodeReady: zDurationDistribution.optional().meta({ description: 'VM request → node Ready' }),
  gpuAllocatable: zDurationDistribution.optional().meta({ description: 'node Ready → nvidia.com/gpu allocatable (UNCONFIRMED)' }),
  maxNodeProvisionTime: zDuration.optional(),
  nodeGroupBackoff: zDuration.optional(),
  scaleDownUnneededTime: zDuration.optional(),
  scaleDownDelayAfterAdd: zDuration.optional(),
});

export const zAutoscaler = z
  .union([z.enum(CLOUD_PRESETS).transform((cloud) => zAutoscalerObject.parse({ cloud })), zAutoscalerObject])
  .meta({ description: `a preset (${CLOUD_PRESETS.join(', ')}) or an object with cloud and overrides` });

const zBandwidthOrUnlimited = z.union([z.literal('unlimited').transform(() => Infinity), zBandwidth]);

const zStoreLimits = z.strictObject({
  perReader: zBandwidthOrUnlimited.optional(),
  perNode: zBandwidthOrUnlimited.optional(),
  aggregate: zBandwidthOrUnlimited.optional(),
  requestLatency: zDuration.optional().meta({ description: 'seconds per request round trip (hub: 1 s)' }),
  perSourceRank: zBandwidthOrUnlimited.optional().meta({ description: 'peer: what each rank of a serving pod sends, shared by the pods copying from it (default 7.8 GB/s)' }),
});

export const zStorage = z.strictObject(Object.fromEntries(WEIGHT_SOURCES.map((s) => [s, zStoreLimits.optional()])) as Record<WeightSource, z.ZodOptional<typeof zStoreLimits>>);

export const zEndpointPropagation = z
  .strictObject({
    add: zDurationDistribution.prefault('1s').meta({ description: 'Ready → in the gateway endpoints (UNCONFIRMED)' }),
    remove: zDurationDistribution.prefault('2s').meta({ description: 'deleted/NotReady → out of the gateway endpoints (UNCONFIRMED)' }),
  })
  .meta({ description: 'how long endpoint changes take to reach the gateway' });

const zPercent = z.number().min(0).max(100);

export const zEviction = z
  .strictObject({
    memoryAvailable: zBytes.prefault(DEFAULT_EVICTION.memoryAvailable).meta({ description: 'kubelet memory.available hard threshold' }),
    nodefsAvailablePercent: zPercent.default(DEFAULT_EVICTION.nodefsAvailable * 100),
    imageGcHighPercent: zPercent.default(DEFAULT_EVICTION.imageGcHigh * 100),
    imageGcLowPercent: zPercent.default(DEFAULT_EVICTION.imageGcLow * 100),
    pressureTransitionPeriod: zDuration.prefault(DEFAULT_EVICTION.pressureTransitionPeriod),
  })
  .superRefine((e, ctx) => {
    if (e.imageGcLowPercent > e.imageGcHighPercent) {
      ctx.addIssue({ code: 'custom', message: `imageGcLowPercent (${e.imageGcLowPercent}) is above imageGcHighPercent (${e.imageGcHighPercent})`, path: ['imageGcLowPercent'] });
    }
  });

export const zResourceQuota = z
  .strictObject({
    gpus: zWhole(0).meta({ description: 'hard limit on requests.nvidia.com/gpu in the namespace' }),
    usedElsewhere: zWhole(0).default(0).meta({ description: 'GPUs other workloads of the namespace already request' }),
  })
  .meta({ description: 'a namespace ResourceQuota: a pod over it is never created (FailedCreate, retried)' });

export const zKueue = z
  .strictObject({
    nominalQuota: zWhole(0).meta({ description: "the ClusterQueue's nominalQuota of nvidia.com/gpu" }),
    borrowingLimit: zWhole(0).optional().meta({ description: 'the most it may borrow from its cohort; unset: no limit' }),
    cohortUnused: zWhole(0)
      .default(0)
      .meta({ description: 'nominal quota of the other ClusterQueues of the cohort left unused (what they can lend)' }),
  })
  .meta({ description: 'a Kueue ClusterQueue: pods beyond its quota stay SchedulingGated until quota frees' });

export const zCluster = z.strictObject({
  nodePools: z
    .array(zNodePool)
    .min(1, { error: 'declare at least one node pool' })
    .refine((pools) => pools.reduce((n, p) => n + Math.max(p.nodes, p.maxNodes ?? p.nodes), 0) <= MAX_CLUSTER_NODES, {
      error: `the pools may hold more than ${MAX_CLUSTER_NODES} nodes in all (Σ maxNodes); the Kubernetes cluster limit is ${MAX_CLUSTER_NODES}`,
    }),
  autoscaler: zAutoscaler.prefault('generic'),
  endpointPropagation: zEndpointPropagation.prefault({}),
  eviction: zEviction.prefault({}),
  storage: zStorage.prefault({}).meta({ description: 'weight-load bandwidth overrides per source (DERIVED defaults)' }),
  resourceQuota: zResourceQuota.optional(),
  kueue: zKueue.optional(),
});

export type ClusterInput = z.output<typeof zCluster>;

// ---------------------------------------------------------------------------------------------------- startup

/**
 * `schema`, or one of `keywords`. Checked in front of the union so a mistake is reported with the schema's own
 * precise message (zod alone would only say "Invalid input" for a failed union).
 */
function orKeywords<K extends string, T>(keywords: readonly [K, ...K[]], schema: z.ZodType<T>) {
  const words = keywords.join(', ');
  return z.preprocess(
    (input, ctx) => {
      if (typeof input === 'string' && (keywords as readonly string[]).includes(input)) return input;
      const result = schema.safeParse(input);
      if (!result.success) {
        for (const issue of result.error.issues) {
          const message = typeof input === 'string' ? `${issue.message}; or one of ${words}` : issue.message;
          ctx.issues.push({ code: 'custom', input, message, path: issue.path });
        }
      }
      return input;
    },
    z.union([z.enum(keywords), schema]),
  );
}

const zPhase = orKeywords(['auto'], zDurationDistribution)
  .default('auto')
  .meta({ description: 'auto (default: by model size and node caches), a duration, or a distribution of durations' });

export const zStartup = z.strictObject({
  imagePull: orKeywords(['auto', 'streaming', 'prepulled'], zDurationDistribution)
    .default('auto')
    .meta({ description: 'auto = imageSize / pullBandwidth; streaming = 20 s (GKE image streaming); prepulled = on every node' }),
  processStart: zPhase,
  weightLoad: zPhase,
  compile: zPhase,
  graphCapture: zPhase,
  kvProfile: zPhase,
  warmup: zPhase.meta({ description: 'warm-up requests before ready; auto = 0 (vLLM runs none: the first requests are slow)' }),
  imageSize: zBytes.optional().meta({ description: 'default 22 GB (vllm-openai slim build)' }),
  pullBandwidth: zBandwidth
    .optional()
    .refine((b) => b === undefined || b > 0, { error: 'must be above 0' })
    .meta({ description: 'default 0.3 GB/s' }),
  weightSource: z.enum(CONFIGURED_SOURCES).default('objectStore'),
  compileCache: z.enum(COMPILE_CACHES).default('none'),
  fromPeers: z
    .boolean()
    .default(false)
    .meta({ description: 'copy weights and compiled artefacts GPU to GPU from a serving pod of the same version; weightSource when none serves' }),
  localModelCache: z
    .boolean()
    .default(false)
    .meta({ description: 'every node holds both versions\' weights on local NVMe (KServe LocalModelCache): loads read the node disk' }),
  wakeFromSleep: z
    .boolean()
    .default(false)
    .meta({ description: 'every node holds this version asleep (vLLM sleep mode, a zero-surge model swap): a pod wakes it' }),
  jitAddOns: z
    .array(z.string().min(1))
    .optional()
    .meta({ description: `model-specific JIT warm-ups (${Object.keys(JIT_ADD_ONS).join(', ')}); default: the model catalog's` }),
});

export type StartupScenario = z.output<typeof zStartup>;

// ---------------------------------------------------------------------------------------------- pod settings

function zProbe(role: 'readiness' | 'liveness' | 'startup') {
  return z
    .strictObject({
      kind: z.enum(PROBE_KINDS).default('health'),
      initialDelaySeconds: zDuration.prefault(PROBE_DEFAULTS.initialDelaySeconds),
      periodSeconds: zDuration
        .prefault(PROBE_DEFAULTS.periodSeconds)
        .refine((s) => s >= 1, { error: 'must be at least 1 second (Kubernetes minimum)' }),
      timeoutSeconds: zDuration
        .prefault(PROBE_DEFAULTS.timeoutSeconds)
        .refine((s) => s >= 1, { error: 'must be at least 1 second (Kubernetes minimum)' }),
      successThreshold: zWhole(1).default(PROBE_DEFAULTS.successThreshold),
      failureThreshold: zWhole(1).default(PROBE_DEFAULTS.failureThreshold),
      inferenceSeconds: zDuration.prefault(PROBE_DEFAULTS.inferenceSeconds).meta({ description: 'synthetic-inference: one warm probe inference' }),
      coldInferenceSeconds: zDuration
        .prefault(PROBE_DEFAULTS.coldInferenceSeconds)
        .meta({ description: 'synthetic-inference: the first inference on cold kernels' }),
    })
    .superRefine((p, ctx) => {
      if (role !== 'readiness' && p.successThreshold !== 1) {
        ctx.addIssue({ code: 'custom', message: `must be 1 for a ${role} probe (Kubernetes validation)`, path: ['successThreshold'] });
      }
    });
}

/**
 * Pod-level deployment fields. readinessProbe defaults to a health probe with Kubernetes' defaults (null = no
 * probe: Ready as soon as the container starts); liveness and startup probes are off unless given.
 */
export const zPodSettings = z.strictObject({
  readinessProbe: z.union([zProbe('readiness'), z.null()]).prefault({}),
  livenessProbe: z.union([zProbe('liveness'), z.null()]).default(null),
  startupProbe: z.union([zProbe('startup'), z.null()]).default(null),
  preStop: z.strictObject({ sleep: zDuration.prefault(0) }).prefault({}),
  terminationGracePeriodSeconds: zDuration.prefault(POD_DEFAULTS.terminationGracePeriodSeconds),
  minReadySeconds: zDuration.prefault(DEPLOYMENT_DEFAULTS.minReadySeconds),
});

export type PodSettingsInput = z.output<typeof zPodSettings>;

/** Knobs that make a version bad: it crashes during start-up, or starts slower. */
export const zPodFaults = z.strictObject({
  crashOnStart: z
    .union([z.boolean(), z.enum(CRASHABLE_PHASES)])
    .default(false)
    .meta({ description: 'the process exits at the end of this start-up phase on every start (true = kvProfile, e.g. KV-cache OOM)' }),
  startupFactor: z.number().gt(0).default(1).meta({ description: 'multiplies every start-up phase after the image pull' }),
  extraLoadSeconds: zDuration.prefault(0).meta({ description: 'added to the weight load' }),
});

/** Host resources of a pod; defaults in template.ts defaultPodResources (UNCONFIRMED). */
export const zPodResources = z.strictObject({
  hostMemoryRequest: zBytes.optional(),
  hostMemoryUsage: zBytes.optional(),
  loadingMemory: zBytes.optional().meta({ description: 'extra working set while weights load; default: the checkpoint size' }),
  ephemeralUsage: zBytes.optional().meta({ description: 'emptyDir use; default: the checkpoint size for hub downloads, else 0' }),
  priority: z.int().default(0).meta({ description: 'pod priority: lower is evicted first under node pressure' }),
});

// --------------------------------------------------------------------------------------------------- resolve

export function resolvePodFaults(input: z.output<typeof zPodFaults>): PodFaults {
  const crash = input.crashOnStart;
  return {
    crashAfter: crash === false ? null : crash === true ? 'kvProfile' : crash,
    startupFactor: input.startupFactor,
    extraLoadSeconds: input.extraLoadSeconds,
  };
}

/** Only the fields the scenario wrote (the rest come from defaultPodResources). */
export function resolvePodResources(input: z.output<typeof zPodResources>): Partial<PodResources> {
  const out: { -readonly [K in keyof PodResources]?: PodResources[K] } = { priority: input.priority };
  if (input.hostMemoryRequest !== undefined) out.hostMemoryRequest = input.hostMemoryRequest;
  if (input.hostMemoryUsage !== undefined) out.hostMemoryUsage = input.hostMemoryUsage;
  if (input.loadingMemory !== undefined) out.loadingMemory = input.loadingMemory;
  if (input.ephemeralUsage !== undefined) out.ephemeralUsage = input.ephemeralUsage;
  return out;
}

export function resolvePodSettings(input: PodSettingsInput): PodSettings {
  return {
    probes: { readiness: input.readinessProbe, liveness: input.livenessProbe, startup: input.startupProbe },
    preStopSleep: input.preStop.sleep,
    terminationGracePeriodSeconds: input.terminationGracePeriodSeconds,
    minReadySeconds: input.minReadySeconds,
  };
}

/** The cluster's runtime configuration; `baseDir` resolves empirical distribution files. */
export function resolveClusterConfig(input: ClusterInput, baseDir: string, path = 'cluster'): ClusterConfig {
  return {
    nodePools: input.nodePools.map((pool, i) => resolveNodePool(pool, `${path}.nodePools[${i}]`)),
    autoscaler: resolveAutoscaler(input.autoscaler, baseDir, `${path}.autoscaler`),
    endpointPropagation: {
      add: buildDistribution(input.endpointPropagation.add, baseDir, `${path}.endpointPropagation.add`),
      remove: buildDistribution(input.endpointPropagation.remove, baseDir, `${path}.endpointPropagation.remove`),
    },
    eviction: {
      memoryAvailable: input.eviction.memoryAvailable,
      nodefsAvailable: input.eviction.nodefsAvailablePercent / 100,
      imageGcHigh: input.eviction.imageGcHighPercent / 100,
      imageGcLow: input.eviction.imageGcLowPercent / 100,
      pressureTransitionPeriod: input.eviction.pressureTransitionPeriod,
    },
    storage: resolveStorage(input.storage),
    resourceQuota: input.resourceQuota ? { hardGpus: input.resourceQuota.gpus, usedElsewhere: input.resourceQuota.usedElsewhere } : null,
    kueue: input.kueue
      ? { nominalQuota: input.kueue.nominalQuota, borrowingLimit: input.kueue.borrowingLimit ?? Infinity, cohortUnused: input.kueue.cohortUnused }
      : null,
  };
}

function resolveNodePool(pool: ClusterInput['nodePools'][number], path: string): NodePoolSpec {
  const gpu = resolveGpu(pool.gpu, `${path}.gpu`).name;
  return {
    name: pool.name,
    gpu,
    gpusPerNode: pool.gpusPerNode,
    nodes: pool.nodes,
    minNodes: pool.minNodes ?? pool.nodes,
    maxNodes: pool.maxNodes ?? pool.nodes,
    hostMemory: pool.hostMemory ?? defaultHostMemory(gpu, pool.gpusPerNode, path),
    ephemeralDisk: pool.ephemeralDisk,
    labels: pool.labels,
    ...(pool.stockout ? { stockout: pool.stockout } : {}),
  };
}

function resolveAutoscaler(input: z.output<typeof zAutoscalerObject>, baseDir: string, path: string): AutoscalerConfig {
  const preset = AUTOSCALER_PRESETS[input.cloud];
  const dist = (spec: DistributionSpec | undefined, fallback: Distribution, field: string): Distribution =>
    spec === undefined ? fallback : buildDistribution(spec, baseDir, `${path}.${field}`);
  return {
    enabled: preset.enabled,
    scanInterval: input.scanInterval ?? preset.scanInterval,
    scaleUpDelay: input.scaleUpDelay ?? preset.scaleUpDelay,
    nodeReady: dist(input.nodeReady, preset.nodeReady, 'nodeReady'),
    gpuAllocatable: dist(input.gpuAllocatable, preset.gpuAllocatable, 'gpuAllocatable'),
    maxNodeProvisionTime: input.maxNodeProvisionTime ?? preset.maxNodeProvisionTime,
    nodeGroupBackoff: input.nodeGroupBackoff ?? preset.nodeGroupBackoff,
    scaleDownUnneededTime: input.scaleDownUnneededTime ?? preset.scaleDownUnneededTime,
    scaleDownDelayAfterAdd: input.scaleDownDelayAfterAdd ?? preset.scaleDownDelayAfterAdd,
  };
}

function resolveStorage(input: ClusterInput['storage']): Record<WeightSource, StoreLimits> {
  const out = {} as Record<WeightSource, StoreLimits>;
  for (const source of WEIGHT_SOURCES) {
    const d = DEFAULT_STORE_LIMITS[source];
    const o = input[source] ?? {};
    out[source] = {
      perReader: o.perReader ?? d.perReader,
      perNode: o.perNode ?? d.perNode,
      aggregate: o.aggregate ?? d.aggregate,
      requestLatency: o.requestLatency ?? d.requestLatency,
      ...((o.perSourceRank ?? d.perSourceRank) === undefined ? {} : { perSourceRank: o.perSourceRank ?? d.perSourceRank }),
    };
  }
  return out;
}

/** The scenario's `startup` with its distributions built, ready for resolveStartup(input, model). */
export function resolveStartupInput(input: StartupScenario, baseDir: string, path = 'startup'): StartupInput {
  const phase = (spec: 'auto' | DistributionSpec, field: string): PhaseInput =>
    spec === 'auto' ? 'auto' : buildDistribution(spec, baseDir, `${path}.${field}`);
  const pull = input.imagePull;
  return {
    imagePull: pull === 'auto' || pull === 'streaming' || pull === 'prepulled' ? pull : buildDistribution(pull, baseDir, `${path}.imagePull`),
    processStart: phase(input.processStart, 'processStart'),
    weightLoad: phase(input.weightLoad, 'weightLoad'),
    compile: phase(input.compile, 'compile'),
    graphCapture: phase(input.graphCapture, 'graphCapture'),
    kvProfile: phase(input.kvProfile, 'kvProfile'),
    warmup: phase(input.warmup, 'warmup'),
    imageSize: input.imageSize,
    pullBandwidth: input.pullBandwidth,
    weightSource: input.weightSource,
    compileCache: input.compileCache,
    fromPeers: input.fromPeers,
    localModelCache: input.localModelCache,
    wakeFromSleep: input.wakeFromSleep,
    jitAddOns: input.jitAddOns,
  };
}
