import { z } from 'zod';
import type { GroupClusterConfig } from '../cluster/group-cluster.js';
import type { GroupShape } from '../cluster/pod-group.js';
import { formatIssues } from '../config/issues.js';
import { zBandwidth, zDuration, zIntOrPercent, zRate } from '../config/zod-units.js';
import { constant, lognormalFromPercentiles, type Distribution } from '../engine/distributions.js';
import { InputError } from '../errors.js';
import { ExpressionError } from '../expressions/errors.js';
import { compileExpression } from '../expressions/safe-eval.js';
import type { LwsRollingConfig } from '../rollout/lws-arithmetic.js';
import { runLwsRollout, type LwsRolloutSummary } from '../rollout/lws-run.js';
import { runPdRollout, type PdRolloutSummary } from '../rollout/pd-rollout.js';
import { resolveGpu, resolveModel } from '../serving/catalog/resolve.js';
import { kvTransferSeconds, ratioDrift, replicaCosts } from '../serving/disaggregation.js';
import { kvBytesPerToken } from '../serving/memory.js';
import { groupStepTime, resolveNetwork } from '../serving/step-time/multi-node.js';
import { decodeBatch } from '../serving/step-time/types.js';

/**
 * Scenario documents of multi-node replicas run at the group level (docs/multi-node.md): `kind: LwsRollout`, one
 * LeaderWorkerSet rolled out over a node pool, and `kind: PdRollout`, a prefill and a decode LeaderWorkerSet rolled
 * out independently or together. `check` runs them beside `kind: Scenario` files; assertions read `lws.*` or `pd.*`.
 */
export const GROUP_SCENARIO_KINDS = ['LwsRollout', 'PdRollout'] as const;

const zCount = z.int().min(1);
const zShape = z.strictObject({
  size: zCount.meta({ description: 'pods per group: the leader and size − 1 workers' }),
  gpusPerPod: zCount,
  onePodPerNode: z.boolean().default(true).meta({ description: 'members on distinct nodes (anti-affinity within the group)' }),
});
const zStartup = z.strictObject({ p50: zDuration, p90: zDuration });

/** One LeaderWorkerSet and the node pool it runs on. */
const zLeaderWorkerSet = z.strictObject({
  nodes: zCount,
  gpusPerNode: zCount,
  replicas: zCount,
  old: zShape,
  /** The new template's group shape; default: the old one. */
  new: zShape.optional(),
  /** Per member, from binding to Ready. */
  startup: z.strictObject({ old: zStartup, new: zStartup.optional() }),
  startupPolicy: z.enum(['LeaderCreated', 'LeaderReady']).default('LeaderCreated'),
  restartPolicy: z.enum(['RecreateGroupOnPodRestart', 'None']).default('RecreateGroupOnPodRestart'),
  terminationGracePeriod: zDuration.prefault('30s'),
  /** The new version crash-loops at start-up: its groups never become ready. */
  newCrashesOnStart: z.boolean().default(false),
  /** A PodGroup per group and a gang scheduler (LWS KEP-407): a group's pods bind together or not at all. */
  gangScheduling: z.boolean().default(false),
  rolloutStrategy: z
    .strictObject({
      maxUnavailable: zIntOrPercent.prefault(1),
      maxSurge: zIntOrPercent.prefault(0),
      partition: z.int().min(0).default(0),
    })
    .prefault({}),
});
type LeaderWorkerSetSpec = z.output<typeof zLeaderWorkerSet>;

/** What one group serves: the model on the group's GPUs, and the traffic's shape. */
const zServing = z.strictObject({
  model: z.string(),
  gpu: z.string(),
  weightDtype: z.enum(['bf16', 'fp8', 'int4']).default('bf16'),
  kvDtype: z.enum(['bf16', 'fp8']).default('bf16'),
  layout: z.enum(['pipeline', 'tensor']).default('pipeline'),
  network: z.string().default('infiniband-ndr'),
  /** Decoding sequences per group when its capacity is measured. */
  batch: zCount.default(64),
  promptTokens: zCount.default(2048),
  outputTokens: zCount.default(256),
});

const zMeta = z.strictObject({ name: z.string().min(1), description: z.string().optional() });

const zLwsRollout = z.strictObject({
  apiVersion: z.literal('rollout-sim/v1'),
  kind: z.literal('LwsRollout'),
  metadata: zMeta,
  spec: z.strictObject({
    seed: z.int().default(1),
    duration: zDuration,
    at: zDuration,
    leaderWorkerSet: zLeaderWorkerSet,
    serving: zServing.optional(),
    /** Output tokens per second the fleet must serve (needs `serving`). */
    demand: zRate.optional(),
    failures: z.array(z.strictObject({ at: zDuration, group: z.int().min(0), member: z.int().min(0) })).default([]),
    assertions: z.array(z.string()).default([]),
  }),
});

const zPdRollout = z.strictObject({
  apiVersion: z.literal('rollout-sim/v1'),
  kind: z.literal('PdRollout'),
  metadata: zMeta,
  spec: z.strictObject({
    seed: z.int().default(1),
    duration: zDuration,
    at: zDuration,
    mode: z.enum(['independent', 'coordinated']),
    prefill: zLeaderWorkerSet,
    decode: zLeaderWorkerSet,
    serving: zServing,
    /** The link a prompt's KV crosses from a prefill to a decode replica. */
    kvTransfer: z.strictObject({ bandwidth: zBandwidth, latency: zDuration.prefault('20us') }),
    /** Requests per second. */
    rate: zRate,
    assertions: z.array(z.string()).default([]),
  }),
});

export type GroupScenario = z.output<typeof zLwsRollout> | z.output<typeof zPdRollout>;

export interface GroupAssertionResult {
  readonly expression: string;
  readonly passed: boolean;
  readonly value?: string;
  readonly error?: string;
}

/** One row of a group rollout over time: the LWS trace, or each role's ready groups by version with the ratio drift. */
export type GroupTimelineRow =
  | { readonly t: number; readonly partition: number; readonly replicas: number; readonly groups: string; readonly readyGroups: number; readonly gpusHeld: number }
  | { readonly t: number; readonly prefillOld: number; readonly prefillNew: number; readonly decodeOld: number; readonly decodeNew: number; readonly ratioDrift: number };

export interface GroupScenarioResult {
  readonly name: string;
  readonly timeline: readonly GroupTimelineRow[];
  readonly summary: { readonly lws?: LwsRolloutSummary & { readonly tokensPerSecPerGroup: number | null } } | { readonly pd?: PdRolloutSummary };
  readonly assertions: readonly GroupAssertionResult[];
}

export function isGroupScenarioKind(kind: unknown): boolean {
  return (GROUP_SCENARIO_KINDS as readonly unknown[]).includes(kind);
}

export function parseGroupScenario(doc: unknown, source: string): GroupScenario {
  const kind = (doc as { kind?: unknown } | null)?.kind;
  const schema = kind === 'PdRollout' ? zPdRollout : zLwsRollout;
  const parsed = schema.safeParse(doc);
  if (!parsed.success) throw new InputError(formatIssues(parsed.error.issues, doc).join('; '), source);
  return parsed.data;
}

function startupOf(s: { p50: number; p90: number }): Distribution {
  return s.p90 === s.p50 ? constant(s.p50) : lognormalFromPercentiles(s.p50, s.p90);
}

function poolConfig(l: LeaderWorkerSetSpec): { cluster: GroupClusterConfig; rollout: LwsRollingConfig } {
  const shape: Record<'old' | 'new', GroupShape> = { old: l.old, new: l.new ?? l.old };
  return {
    cluster: {
      nodes: l.nodes,
      gpusPerNode: l.gpusPerNode,
      shape,
      memberStartup: { old: startupOf(l.startup.old), new: startupOf(l.startup.new ?? l.startup.old) },
      startupPolicy: l.startupPolicy,
      restartPolicy: l.restartPolicy,
      terminationSeconds: l.terminationGracePeriod,
      newCrashesOnStart: l.newCrashesOnStart,
      gangScheduling: l.gangScheduling,
    },
    rollout: { replicas: l.replicas, ...l.rolloutStrategy },
  };
}

type Serving = z.output<typeof zServing>;

function stepTimeOf(serving: Serving, shape: GroupShape) {
  const model = resolveModel(serving.model, 'spec.serving.model');
  const gpu = resolveGpu(serving.gpu, 'spec.serving.gpu');
  const network = resolveNetwork(serving.network, 'spec.serving.network');
  return { model, step: groupStepTime(model, gpu, shape, serving.layout, network, { weightDtype: serving.weightDtype, kvDtype: serving.kvDtype }) };
}

/** Output tokens per second of one group at the serving block's batch. */
function tokensPerSec(serving: Serving, shape: GroupShape): number {
  const { step } = stepTimeOf(serving, shape);
  return serving.batch / step.stepSeconds(decodeBatch(serving.batch, serving.promptTokens + serving.outputTokens / 2));
}

export function runGroupScenario(s: GroupScenario): GroupScenarioResult {
  if (s.kind === 'LwsRollout') {
    const spec = s.spec;
    const pool = poolConfig(spec.leaderWorkerSet);
    if (spec.demand !== undefined && spec.serving === undefined) throw new InputError('demand needs a serving block to measure what a group serves', 'spec.demand');
    const perGroup = spec.serving ? { old: tokensPerSec(spec.serving, pool.cluster.shape.old), new: tokensPerSec(spec.serving, pool.cluster.shape.new) } : null;
    const r = runLwsRollout({
      ...pool,
      at: spec.at,
      duration: spec.duration,
      seed: spec.seed,
      failures: spec.failures.map((f) => ({ t: f.at, ordinal: f.group, member: f.member })),
      capacity: perGroup && spec.demand !== undefined ? { perGroup, demand: spec.demand } : undefined,
    });
    const summary = { lws: { ...r.summary, tokensPerSecPerGroup: perGroup?.new ?? null } };
    return { name: s.metadata.name, timeline: r.trace, summary, assertions: evaluate(summary, spec.assertions) };
  }
  const spec = s.spec;
  const prefill = poolConfig(spec.prefill);
  const decode = poolConfig(spec.decode);
  const costsFor = (v: 'old' | 'new') => {
    const p = stepTimeOf(spec.serving, prefill.cluster.shape[v]);
    const d = stepTimeOf(spec.serving, decode.cluster.shape[v]);
    const transfer = kvTransferSeconds(spec.serving.promptTokens, kvBytesPerToken(p.model, spec.serving.kvDtype), spec.kvTransfer.bandwidth, spec.kvTransfer.latency);
    return replicaCosts(p.step, d.step, spec.serving.promptTokens, spec.serving.promptTokens + spec.serving.outputTokens / 2, transfer);
  };
  const r = runPdRollout({
    roles: { prefill, decode },
    mode: spec.mode,
    at: spec.at,
    duration: spec.duration,
    seed: spec.seed,
    load: { rate: spec.rate, outputTokens: spec.serving.outputTokens },
    costs: { old: costsFor('old'), new: costsFor('new') },
  });
  const summary = { pd: r.summary };
  const timeline = r.samples.map((x) => ({
    t: x.t,
    prefillOld: x.prefill.old,
    prefillNew: x.prefill.new,
    decodeOld: x.decode.old,
    decodeNew: x.decode.new,
    ratioDrift: ratioDrift(x.prefill, x.decode, spec.prefill.replicas, spec.decode.replicas),
  }));
  return { name: s.metadata.name, timeline, summary, assertions: evaluate(summary, spec.assertions) };
}

function evaluate(summary: object, expressions: readonly string[]): GroupAssertionResult[] {
  return expressions.map((expression) => {
    try {
      const compiled = compileExpression(expression);
      const passed = compiled.evaluateBoolean(summary);
      const value = compiled.symbols.map((sym) => `${sym} = ${JSON.stringify(readPath(summary, sym))}`).join(', ');
      return { expression, passed, value };
    } catch (err) {
      if (err instanceof ExpressionError) return { expression, passed: false, error: err.message };
      throw err;
    }
  });
}

function readPath(o: object, path: string): unknown {
  let cur: unknown = o;
  for (const key of path.split('.')) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
  return cur;
}
