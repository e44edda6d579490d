import { parseDuration } from '../config/units.js';
import { DEPLOYMENT_DEFAULTS, VLLM_SLEEP_MODE } from '../config/upstream-defaults.js';
import { InputError } from '../errors.js';
import type { KvDtype, WeightDtype } from '../serving/catalog/dtypes.js';
import { withUserCatalog } from '../serving/catalog/catalog-scope.js';
import { resolveModel } from '../serving/catalog/resolve.js';
import { resolveModelSpec, type ServingModel } from '../serving/catalog/schema.js';
import { estimateServing } from '../serving/estimate.js';
import type { LoadedScenario } from '../scenario/load.js';
import type { GpuSpec } from '../serving/catalog/gpus.js';

/**
 * What `compare` runs: each strategy the user names as a `--set` of spec.rollout.strategy, and each model size
 * as a `--set` of the model with a fleet and node pools resized to carry the scenario's traffic.
 */

export const STRATEGY_NAMES = ['rolling', 'blue-green', 'canary', 'recreate', 'sleep-wake', 'flagger', 'lora-in-pool', 'lora-two-pool', 'lws'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** The scenario's strategy kind (the key under spec.rollout.strategy) each name stands for. */
const STRATEGY_KINDS: Readonly<Record<StrategyName, string>> = {
  rolling: 'rollingUpdate',
  'blue-green': 'blueGreen',
  canary: 'canary',
  recreate: 'recreate',
  'sleep-wake': 'sleepWake',
  flagger: 'flagger',
  'lora-in-pool': 'adapterRewrite',
  'lora-two-pool': 'inferencePoolSplit',
  lws: 'leaderWorkerSet',
};

/**
 * Used when the scenario's own strategy is of another kind. Rolling surges by Kubernetes' default without losing
 * capacity (the common choice for GPU fleets); the canary takes a quarter, then half of the traffic with five-minute pauses;
 * the sleep/wake swap replaces a quarter of the pods at a time on their own GPUs (level 1);
 * Flagger's canary takes the same weights, one five-minute analysis interval each (then promotes by rolling the primary).
 */
const DEFAULT_STRATEGIES: Readonly<Record<StrategyName, object>> = {
  rolling: { rollingUpdate: { maxSurge: DEPLOYMENT_DEFAULTS.maxSurge, maxUnavailable: 0 } },
  'blue-green': { blueGreen: {} },
  canary: { canary: { steps: [{ setWeight: 25 }, { pause: { duration: '5m' } }, { setWeight: 50 }, { pause: { duration: '5m' } }] } },
  recreate: { recreate: {} },
  'sleep-wake': { sleepWake: { level: VLLM_SLEEP_MODE.level, maxUnavailable: DEPLOYMENT_DEFAULTS.maxUnavailable } },
  flagger: { flagger: { analysis: { interval: '5m', stepWeight: 25, maxWeight: 50 } } },
  // An adapter rollout's two forms are derived from each other (loraVariantOf): they need the scenario's adapters.
  'lora-in-pool': {},
  'lora-two-pool': {},
  // LeaderWorkerSet's own defaults: one group down at a time, no surge.
  lws: { leaderWorkerSet: {} },
};

/**
 * The same adapter change done the other way: an in-pool rewrite's from, to and steps as a second pool behind
 * route weights, and back. Null when the scenario has neither.
 */
function loraVariantOf(kind: string, raw: Record<string, unknown>): Record<string, unknown> | null {
  const other = kind === 'adapterRewrite' ? raw.inferencePoolSplit : kind === 'inferencePoolSplit' ? raw.adapterRewrite : undefined;
  if (other === undefined || other === null || typeof other !== 'object') return null;
  const { from, to, steps, analysis } = other as Record<string, unknown>;
  const fields = Object.fromEntries(Object.entries({ from, to, steps, analysis }).filter(([, v]) => v !== undefined));
  return { [kind]: fields };
}

export function parseStrategies(value: unknown): StrategyName[] {
  const names = splitList(value);
  if (names.length === 0) {
    throw new InputError(`name at least one strategy: ${STRATEGY_NAMES.join(', ')} (or compare start-up levers with --levers / --variant)`, '--strategies');
  }
  for (const name of names) {
    if (!(STRATEGY_NAMES as readonly string[]).includes(name)) {
      throw new InputError(`"${name}" is not a strategy; expected some of ${STRATEGY_NAMES.join(', ')}`, '--strategies');
    }
  }
  return unique(names) as StrategyName[];
}

export interface StrategyVariant {
  name: StrategyName;
  overrides: string[];
  /** The strategy as run, for the report's footnote, e.g. `rollingUpdate {"maxSurge":"25%","maxUnavailable":0}`. */
  description: string;
}

/** The scenario's own settings when it already uses that kind, else the default template. */
export function strategyVariant(name: StrategyName, loaded: LoadedScenario): StrategyVariant {
  const rollout = loaded.scenario.spec.rollout;
  if (!rollout) throw new InputError('compare needs a rollout to compare: add spec.rollout (at, strategy)', 'spec.rollout');
  const kind = STRATEGY_KINDS[name];
  const raw = (loaded.raw as { spec: { rollout: { strategy: Record<string, unknown> } } }).spec.rollout.strategy;
  if (kind in raw) return { name, overrides: [], description: `${kind} ${JSON.stringify(raw[kind])} (the scenario's)` };
  const lora = name === 'lora-in-pool' || name === 'lora-two-pool';
  const strategy = lora ? loraVariantOf(kind, raw) : (DEFAULT_STRATEGIES[name] as Record<string, unknown>);
  if (strategy === null) {
    throw new InputError(`${name} is derived from the scenario's adapter rollout: give it an adapterRewrite or inferencePoolSplit strategy`, '--strategies');
  }
  return { name, overrides: [`spec.rollout.strategy=${JSON.stringify(strategy)}`], description: `${kind} ${JSON.stringify(strategy[kind])}` };
}

/** How each model size is deployed: on one GPU, on a 4-GPU and on an 8-GPU tensor-parallel group (FP8 weights, as
 * Meta's Llama-3.1-405B-Instruct-FP8 checkpoint; the KV cache stays 16-bit). */
export const MODEL_DEPLOYMENTS: readonly ModelDeployment[] = [
  { name: 'llama-3.1-8b', tensorParallel: 1, weightDtype: 'bf16', kvDtype: 'bf16' },
  { name: 'llama-3.1-70b', tensorParallel: 4, weightDtype: 'bf16', kvDtype: 'bf16' },
  { name: 'llama-3.1-405b', tensorParallel: 8, weightDtype: 'fp8', kvDtype: 'bf16' },
];

export interface ModelDeployment {
  name: string;
  tensorParallel: number;
  weightDtype: WeightDtype;
  kvDtype: KvDtype;
}

export interface NodePoolSize {
  name: string;
  gpu: string;
  gpusPerNode: number;
  nodes: number;
  minNodes?: number;
  maxNodes?: number;
}

/** One model size's fleet: what the table's heading says and the overrides that set it up. */
export interface ModelVariant {
  model: string;
  tensorParallel: number;
  weightDtype: WeightDtype;
  replicas: number;
  pools: NodePoolSize[];
  overrides: string[];
}

/**
 * Replica throughput is compared at a busy chat replica's load: 64 decoding sequences of 2,048 context tokens,
 * with the roofline step-time model (the same yardstick for every model, whatever the scenario's step model).
 */
const REFERENCE_BATCH = 64;
const REFERENCE_CONTEXT = 2048;

export function parseModels(value: unknown): string[] {
  return unique(splitList(value).map((name) => name.toLowerCase()));
}

/**
 * The fleet of `modelName` (null: the scenario's model) for the scenario's traffic. The scenario's own model keeps
 * its fleet as written.
 * Another size gets the deployment of MODEL_DEPLOYMENTS and
 *   replicas = ceil(scenario replicas × scenario replica throughput / new replica throughput)
 * so the offered load per unit of serving capacity, and with it the queueing headroom, stays the same; each
 * node pool's nodes, minNodes and maxNodes scale with the fleet's GPU count (rounded up to whole nodes), so the
 * spare GPUs at t=0 and the autoscaler's room for a surge stay the same share of the fleet.
 */
export function modelVariant(modelName: string | null, loaded: LoadedScenario): ModelVariant {
  return withUserCatalog(loaded.catalog, () => modelVariantInCatalog(modelName, loaded));
}

function modelVariantInCatalog(modelName: string | null, loaded: LoadedScenario): ModelVariant {
  const spec = loaded.scenario.spec;
  const base = resolveModelSpec(spec.model, loaded.baseDir, 'spec.model');
  const pools: NodePoolSize[] = spec.cluster.nodePools.map(({ name, gpu, gpusPerNode, nodes, minNodes, maxNodes }) => ({
    name, gpu: typeof gpu === 'string' ? gpu : gpu.name, gpusPerNode, nodes, minNodes, maxNodes,
  }));
  const replicas = spec.deployment.replicas;
  if (modelName === null || modelName === base.architecture.name.toLowerCase()) {
    return { model: base.architecture.name, tensorParallel: base.tensorParallel, weightDtype: base.weightDtype, replicas, pools, overrides: [] };
  }
  const target = MODEL_DEPLOYMENTS.find((m) => m.name === modelName);
  if (!target) {
    const known = [...MODEL_DEPLOYMENTS.map((m) => m.name), `${base.architecture.name} (the scenario's)`];
    throw new InputError(`"${modelName}" has no deployment to compare; expected some of ${known.join(', ')}`, '--models');
  }
  const largestNode = Math.max(...pools.map((p) => p.gpusPerNode));
  if (target.tensorParallel > largestNode) {
    throw new InputError(
      `${target.name} runs on ${target.tensorParallel} GPUs per pod; the scenario's largest node has ${largestNode}`,
      '--models',
    );
  }
  const gpu = spec.cluster.nodePools[0].gpu;
  const baseThroughput = replicaThroughput(gpu, base);
  const targetThroughput = replicaThroughput(gpu, { ...target, architecture: resolveModel(target.name) });
  const newReplicas = Math.max(1, roundUp((replicas * baseThroughput) / targetThroughput));
  const gpuRatio = (newReplicas * target.tensorParallel) / (replicas * base.tensorParallel);
  const scale = (n: number | undefined) => (n === undefined ? undefined : roundUp(n * gpuRatio));
  const newPools = pools.map((p) => ({ ...p, nodes: scale(p.nodes) as number, minNodes: scale(p.minNodes), maxNodes: scale(p.maxNodes) }));
  const modelSpec = { name: target.name, tensorParallel: target.tensorParallel, weightDtype: target.weightDtype, kvDtype: target.kvDtype };
  const overrides = [`spec.model=${JSON.stringify(modelSpec)}`, `spec.deployment.replicas=${newReplicas}`];
  newPools.forEach((p, i) => {
    for (const field of ['nodes', 'minNodes', 'maxNodes'] as const) {
      if (p[field] !== undefined) overrides.push(`spec.cluster.nodePools[${i}].${field}=${p[field]}`);
    }
  });
  return { model: target.name, tensorParallel: target.tensorParallel, weightDtype: target.weightDtype, replicas: newReplicas, pools: newPools, overrides };
}

/** Output tokens per second of one replica at the reference load; an InputError when the model does not fit. */
function replicaThroughput(gpu: string | GpuSpec, model: ServingModel): number {
  const { architecture, tensorParallel, weightDtype, kvDtype } = model;
  try {
    const context = Math.min(REFERENCE_CONTEXT, architecture.maxContext);
    const estimate = estimateServing({ model: architecture, gpu, tp: tensorParallel, weightDtype, kvDtype, batch: REFERENCE_BATCH, context, prompt: 1 });
    return estimate.decodeTokensPerSec;
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    throw new InputError(`${architecture.name} (TP${tensorParallel}, ${weightDtype}) cannot be served on ${typeof gpu === 'string' ? gpu : gpu.name}: ${err.detail}`, '--models');
  }
}

/** Up to a whole number, ignoring floating-point noise (10 × 1.6 must give 16 nodes, not 17). */
function roundUp(x: number): number {
  return Math.ceil(x - 1e-9);
}

/** "a,b" or ["a", "b,c"] (repeated flags) → ["a", "b", "c"]. */
/**
 * `--at 1h,8h`: the same rollout started at each time (night and the morning ramp of a scheduled day); each
 * strategy becomes one variant per time, `rolling @ 8h`. No --at: the scenario's own rollout.at.
 */
export function atVariants(strategy: { name: string; overrides: string[]; description: string }, at: unknown): { name: string; overrides: string[]; description: string }[] {
  const times = splitList(at);
  if (times.length === 0) return [strategy];
  return unique(times).map((t) => {
    parseDuration(t, '--at');
    return { name: `${strategy.name} @ ${t}`, overrides: [...strategy.overrides, `spec.rollout.at=${t}`], description: `${strategy.description}, started at ${t}` };
  });
}

function splitList(value: unknown): string[] {
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((item) => String(item).split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}
