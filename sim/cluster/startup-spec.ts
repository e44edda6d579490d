import { constant, type Distribution } from '../engine/distributions.js';
import { InputError, InternalError } from '../errors.js';
import type { ConfiguredSource, NodeWeights, StoreLimits, WeightSource } from './storage.js';

/**
 * The start-up pipeline of a model-server pod, its phases and their default durations by model size, from the
 * DERIVED tables of startup-and-drain.md (§3a load bandwidths in storage.ts, §3b compile and graph capture,
 * §3c time-to-ready for checking).
 */
export const STARTUP_PHASES = ['imagePull', 'processStart', 'weightLoad', 'compile', 'graphCapture', 'kvProfile', 'warmup'] as const;
export type StartupPhase = (typeof STARTUP_PHASES)[number];
/** The phases a sleeping engine has already been through: a wake skips them. */
export const KEPT_ASLEEP: ReadonlySet<StartupPhase> = new Set<StartupPhase>(['imagePull', 'processStart', 'compile', 'graphCapture', 'kvProfile']);

/**
 * vLLM sleep mode (`--enable-sleep-mode`, POST /sleep?level=N, /wake_up): level 1 offloads the weights to host
 * memory and discards the KV cache, so a wake copies them back; level 2 discards both, so a wake reloads the
 * weights from storage. Either way the engine keeps its process, compiled graphs and CUDA graphs.
 */
export type SleepLevel = 1 | 2;

/** Does a wake find this version's weights in host memory (level 1), rather than reload them (level 2)? */
export function weightsAsleep(s: Pick<StartupSpec, 'wakeFromSleep'>): boolean {
  return s.wakeFromSleep === 1;
}

/**
 * Where a wake finds the weights on the node: in host memory (level 1), or, at level 2, in the page cache the
 * sleeping engine filled when it loaded them before it was put to sleep; null for a cold start.
 */
export function wakeWeights(s: Pick<StartupSpec, 'wakeFromSleep'>): NodeWeights | null {
  return s.wakeFromSleep === 1 ? 'asleep' : s.wakeFromSleep === 2 ? 'pageCache' : null;
}

/** What start-up needs to know about the model. The run fills it from the serving catalog. */
export interface ModelFacts {
  readonly name: string;
  /** Total parameters, all experts included. */
  readonly params: number;
  /** Bytes of the checkpoint as served (after the weight dtype). */
  readonly weightBytes: number;
  /** Model-specific JIT warm-ups the engine runs at start (names in JIT_ADD_ONS), from the model catalog. */
  readonly jitAddOns?: readonly string[];
}

/**
 * A JIT warm-up that depends on the model, not its size (startup-and-drain.md caveats: "model them as optional
 * per-model add-ons"): its seconds without and with a compile cache.
 */
export interface JitAddOn {
  readonly name: string;
  readonly coldSeconds: number;
  readonly cachedSeconds: number;
  readonly source: string;
}

/**
 * r11 (a 30B MoE FP8 on vLLM): DeepGEMM warm-up ~82 s and FlashInfer JIT ~120 s cold; with the JIT cache the
 * whole engine init took 143 s against 264 s cold, i.e. ~115 s of add-ons remain (kernels are loaded, the
 * warm-up still runs every shape), split pro rata (DERIVED). r12: NVFP4 profiling ~210 s on sm_120 (not a
 * compile: a cache does not shorten it). sglang#9867 / #5580: DeepGEMM precompile "typically 10-20 mins" on
 * SGLang (the tail, not the default).
 */
export const JIT_ADD_ONS: Readonly<Record<string, JitAddOn>> = {
  deepgemm: { name: 'deepgemm', coldSeconds: 82, cachedSeconds: 47, source: 'r11 DeepGEMM warm-up ~82 s' },
  'flashinfer-moe-fp8': { name: 'flashinfer-moe-fp8', coldSeconds: 120, cachedSeconds: 68, source: 'r11 FlashInfer JIT ~120 s' },
  'nvfp4-profile-sm120': { name: 'nvfp4-profile-sm120', coldSeconds: 210, cachedSeconds: 210, source: 'r12 NVFP4 profiling ~210 s on sm_120' },
};

/** The add-ons named for a model; an unknown name is the model's (or the scenario's) error. */
export function resolveJitAddOns(model: string, names: readonly string[], path: string): JitAddOn[] {
  return names.map((name, i) => {
    const addOn = JIT_ADD_ONS[name];
    if (addOn === undefined) {
      throw new InputError(`model ${model}: unknown JIT add-on "${name}"; expected one of ${Object.keys(JIT_ADD_ONS).join(', ')}`, `${path}[${i}]`);
    }
    return addOn;
  });
}

/**
 * torch.compile artefacts: `none` = compiled cold at every container start (vLLM's default cache directory is
 * inside the container); `perNode` = a hostPath cache, a hit on a node that compiled this model before;
 * `shared` = a shared volume, a hit once any pod compiled it.
 */
export type CompileCache = 'none' | 'shared' | 'perNode';
export const COMPILE_CACHES: readonly CompileCache[] = ['none', 'shared', 'perNode'];

/** A pod template's start-up, resolved: `auto` phases that depend on the node and cluster stay `auto`. */
export interface StartupSpec {
  /** `auto`: imageBytes / pullBandwidth; `prepulled`: every node has the image (baked into the node image). */
  readonly imagePull: Distribution | 'auto' | 'prepulled';
  readonly imageBytes: number;
  readonly pullBandwidth: number;
  /** Container start to device init: interpreter, imports, config (fixed per-process cost). */
  readonly processStart: Distribution;
  /** `auto`: the weight bytes per TP rank read from `weightSource` through the shared stores (storage.ts). */
  readonly weightLoad: Distribution | 'auto';
  readonly weightSource: ConfiguredSource;
  /** Copy weights and compiled artefacts from a serving pod of the same version; `weightSource` when none serves. */
  readonly fromPeers: boolean;
  /** Every node holds the weights on local NVMe (a node model cache): loads read the node's disk. */
  readonly localModelCache: boolean;
  /**
   * Every node holds this version's engine asleep (vLLM sleep mode, a model swap): a pod there skips what the
   * sleeping engine already did (image, process and engine init, compile, graph capture, KV profiling); at level
   * 1 it wakes its weights from host memory, at level 2 it reloads them (node caches, then weightSource).
   * false: a cold start.
   */
  readonly wakeFromSleep: SleepLevel | false;
  /** `auto`: compileColdSeconds, or compileCachedSeconds (+ the fetch of the artefacts) on a compile-cache hit. */
  readonly compile: Distribution | 'auto';
  readonly compileCache: CompileCache;
  /** torch.compile by size plus the model's JIT add-ons. */
  readonly compileColdSeconds: number;
  readonly compileCachedSeconds: number;
  readonly jitAddOns: readonly JitAddOn[];
  readonly graphCapture: Distribution;
  /** Memory profiling and KV-cache allocation. */
  readonly kvProfile: Distribution;
  /** Warm-up requests the server runs before it reports healthy; 0 = it starts with cold kernels. */
  readonly warmup: Distribution;
}

/** How the scenario may give one phase: `auto` (the default) or a distribution of seconds. */
export type PhaseInput = Distribution | 'auto';

export interface StartupInput {
  readonly imagePull?: PhaseInput | 'streaming' | 'prepulled';
  readonly processStart?: PhaseInput;
  readonly weightLoad?: PhaseInput;
  readonly compile?: PhaseInput;
  readonly graphCapture?: PhaseInput;
  readonly kvProfile?: PhaseInput;
  readonly warmup?: PhaseInput;
  readonly imageSize?: number;
  readonly pullBandwidth?: number;
  readonly weightSource?: ConfiguredSource;
  readonly compileCache?: CompileCache;
  readonly fromPeers?: boolean;
  readonly localModelCache?: boolean;
  /** true: level 1. */
  readonly wakeFromSleep?: boolean | SleepLevel;
  /** Overrides the model catalog's add-ons. */
  readonly jitAddOns?: readonly string[];
}

const GB = 1e9;

/**
 * vllm/vllm-openai slim build: 22 GB on disk, pulled in 69.7 s from a private registry (vllm-project/vllm#22377),
 * hence ≈0.3 GB/s (§3a "Container image pull").
 */
export const DEFAULT_IMAGE_BYTES = 22 * GB;
export const DEFAULT_PULL_BANDWIDTH = 0.3 * GB;
/** GKE image streaming: "container created in 20 s instead of 3m50s" (startup-and-drain.md, image table). */
export const STREAMING_PULL_SECONDS = 20;
/** "a fixed 5–20 s per-process cost (r49: 19 s before device init; r17–18: ≈15 s)" (§3a). */
export const PROCESS_START_SECONDS = 15;
/**
 * Engine init beyond the phases (worker processes, NCCL communicators, custom all-reduce buffers, tokenizer,
 * the profile run's first kernels): what real servers spend between the first log line and engine ready on top
 * of load, compile, capture and KV profiling. Fitted on the Anyscale rows r1–r8 (the only rows covering every
 * phase): TP1 rows leave ≈0 s, TP4 (70B) ≈50–65 s, TP8 (235B) ≈120 s, i.e. linear in the extra ranks. Held
 * back: every other row (docs/validation.md).
 */
export const ENGINE_INIT_PER_EXTRA_RANK = 17;
/**
 * Compiled artefacts fetched on a cache hit from a shared volume or a peer (torch.compile, Triton and JIT
 * caches): UNCONFIRMED 1 GB (no report gives their size). A per-node hit reads them locally, which the measured
 * cached seconds already include (70B: "cache load 3.9 s").
 */
export const COMPILE_ARTEFACT_BYTES = 1e9;
/** Where a compile-cache hit found the artefacts; null = compile cold. */
export type CompileHit = 'node' | 'shared' | 'peer' | null;

/** `auto` compile seconds: on a hit the cached seconds plus fetching the artefacts unless they are on the node. */
export function compileSecondsOn(s: StartupSpec, hit: CompileHit, storage: Readonly<Record<WeightSource, StoreLimits>>): number {
  if (hit === null) return s.compileColdSeconds;
  if (hit === 'node') return s.compileCachedSeconds;
  return s.compileCachedSeconds + COMPILE_ARTEFACT_BYTES / storage[hit === 'peer' ? 'peer' : 'networkFs'].perReader;
}

export const DEFAULT_WEIGHT_SOURCE: ConfiguredSource = 'objectStore';

/** (billions of parameters, seconds): piecewise linear in log(parameters), flat beyond the ends. */
type SizeCurve = ReadonlyArray<readonly [number, number]>;

/**
 * §3b "compile cold": ≤4B 37–46 s (r19), 7–9B 19–29 s, 30–35B MoE 24–43 s, 70B TP4 61 s (r1–5), 235B MoE 111–113 s
 * (r6–8). ≤4B takes the top of r19's range: r19, the class's only cold row, spent 90.8 s in engine init.
 */
const COMPILE_COLD: SizeCurve = [[3, 46], [8, 24], [32, 33.5], [70, 61], [235, 112]];
/** §3b "compile, cache hit": ≤4B 7–11 s (r17–18), 8B ≈9 s, 30–35B MoE ~5 s, 70B 16 s, 235B 22–23 s. */
const COMPILE_CACHED: SizeCurve = [[3, 9], [8, 9.2], [32, 5], [70, 16], [235, 22.5]];
/**
 * §3b "graph capture": ≤4B 14–37 s, 7–9B 10–32 s, 30–35B MoE 15 s, 70B 16–17 s, 235B 44 s. Within the small-model
 * ranges the values are picked so that §3b "init engine" holds too: 8B −O3 cold 39 s ≈ compile 24 + capture 11 +
 * KV 3; ≤4B 30–90 s; and §3c warm time-to-ready (≤2B 35–50 s, 7–9B 29–44 s) is met.
 */
const GRAPH_CAPTURE: SizeCurve = [[3, 20], [8, 11], [32, 15], [70, 16.5], [235, 44]];
/**
 * Profiling + KV allocation, what §3b "init engine" leaves after compile and capture: 70B 38 − 16 − 16.5 = 5.5 s
 * cached, 92 − 61 − 16.5 = 14.5 s cold → 10 s; 235B 87 − 22.5 − 44 = 20.5 s and 171 − 112 − 44 = 15 s → 18 s;
 * the ≤9B rows leave nothing measurable → 3 s.
 */
const KV_PROFILE: SizeCurve = [[8, 3], [70, 10], [235, 18]];

export function secondsForSize(curve: SizeCurve, params: number): number {
  const x = Math.log(params / 1e9);
  const first = curve[0];
  if (x <= Math.log(first[0])) return first[1];
  for (let i = 1; i < curve.length; i++) {
    const [b, vb] = curve[i];
    const xb = Math.log(b);
    if (x <= xb) {
      const [a, va] = curve[i - 1];
      const xa = Math.log(a);
      return va + ((vb - va) * (x - xa)) / (xb - xa);
    }
  }
  return curve[curve.length - 1][1];
}

export interface AutoSeconds {
  /** The fixed per-process cost plus the engine-init term. */
  readonly processStart: number;
  readonly engineInit: number;
  readonly compileCold: number;
  readonly compileCached: number;
  readonly graphCapture: number;
  readonly kvProfile: number;
  /** vLLM sends no warm-up requests of its own: the first real request pays the cold-kernel cost. */
  readonly warmup: number;
}

export function engineInitSeconds(tensorParallel: number): number {
  return ENGINE_INIT_PER_EXTRA_RANK * (tensorParallel - 1);
}

export function autoSeconds(model: ModelFacts, tensorParallel: number): AutoSeconds {
  const engineInit = engineInitSeconds(tensorParallel);
  return {
    processStart: PROCESS_START_SECONDS + engineInit,
    engineInit,
    compileCold: secondsForSize(COMPILE_COLD, model.params),
    compileCached: secondsForSize(COMPILE_CACHED, model.params),
    graphCapture: secondsForSize(GRAPH_CAPTURE, model.params),
    kvProfile: secondsForSize(KV_PROFILE, model.params),
    warmup: 0,
  };
}

/** Fills the defaults of a scenario's `startup` for one model served with `tensorParallel` ranks. */
export function resolveStartup(input: StartupInput, model: ModelFacts, tensorParallel: number, path = 'startup'): StartupSpec {
  if (!(model.params > 0)) throw new InputError(`model ${model.name} has ${model.params} parameters; expected a positive count`, path);
  if (!(model.weightBytes > 0)) throw new InputError(`model ${model.name} has ${model.weightBytes} weight bytes; expected a positive size`, path);
  if (!Number.isInteger(tensorParallel) || tensorParallel < 1) {
    throw new InternalError(`resolveStartup: tensorParallel ${tensorParallel} is not a whole number ≥ 1`);
  }
  const auto = autoSeconds(model, tensorParallel);
  const jitAddOns =
    input.jitAddOns !== undefined
      ? resolveJitAddOns(model.name, input.jitAddOns, `${path}.jitAddOns`)
      : resolveJitAddOns(model.name, model.jitAddOns ?? [], `model ${model.name} (catalog).jitAddOns`);
  let jitCold = 0;
  let jitCached = 0;
  for (const a of jitAddOns) {
    jitCold += a.coldSeconds;
    jitCached += a.cachedSeconds;
  }
  const fixedOr = (phase: PhaseInput | undefined, seconds: number): Distribution =>
    phase === undefined || phase === 'auto' ? constant(seconds) : phase;
  const pullBandwidth = input.pullBandwidth ?? DEFAULT_PULL_BANDWIDTH;
  if (!(pullBandwidth > 0)) throw new InputError(`pullBandwidth is ${pullBandwidth}; expected a bandwidth above 0`, `${path}.pullBandwidth`);
  const imagePull = input.imagePull ?? 'auto';
  return {
    imagePull: imagePull === 'streaming' ? constant(STREAMING_PULL_SECONDS) : imagePull,
    imageBytes: input.imageSize ?? DEFAULT_IMAGE_BYTES,
    pullBandwidth,
    processStart: fixedOr(input.processStart, auto.processStart),
    weightLoad: input.weightLoad ?? 'auto',
    weightSource: input.weightSource ?? DEFAULT_WEIGHT_SOURCE,
    fromPeers: input.fromPeers ?? false,
    localModelCache: input.localModelCache ?? false,
    wakeFromSleep: input.wakeFromSleep === true ? 1 : (input.wakeFromSleep ?? false),
    compile: input.compile ?? 'auto',
    compileCache: input.compileCache ?? 'none',
    compileColdSeconds: auto.compileCold + jitCold,
    compileCachedSeconds: auto.compileCached + jitCached,
    jitAddOns,
    graphCapture: fixedOr(input.graphCapture, auto.graphCapture),
    kvProfile: fixedOr(input.kvProfile, auto.kvProfile),
    warmup: fixedOr(input.warmup, auto.warmup),
  };
}
