import { STARTUP_PHASES, type CompileCache, type ModelFacts, type StartupPhase } from './startup-spec.js';
import type { ConfiguredSource } from './storage.js';

/**
 * What the start-up model was fitted on, and where it extrapolates: the measured start-ups of
 * startup-and-drain.md (rows rN of its measured table, and its §3c time-to-ready figures) as totals, process
 * start → serving, image present. `fit` rows set the defaults; `heldBack` rows were not used to set any default
 * and measure how the model does beyond its fit (docs/validation.md). (A) marks an assumption where the
 * reference does not say (source, or a composite of a row's logged parts).
 */
export interface MeasuredStartup {
  readonly id: string;
  readonly what: string;
  readonly model: ModelFacts;
  readonly tensorParallel: number;
  readonly source: ConfiguredSource;
  readonly compileCache: CompileCache;
  /** Node state at start: weights in the page cache, a compile-cache hit. */
  readonly warm: { readonly weightsLoaded: boolean; readonly compileCached: boolean };
  /** Measured seconds, a point (lo = hi), a range pooling machines, or a lower bound (hi = Infinity). */
  readonly measured: readonly [lo: number, hi: number];
  readonly split: 'fit' | 'heldBack';
  readonly sizeClass: SizeClass;
  readonly cite: string;
}

/** One weight-load phase measured alone (not a total). */
export interface MeasuredLoad {
  readonly id: string;
  readonly what: string;
  readonly weightBytes: number;
  readonly tensorParallel: number;
  /** The store the ranks read (a hub row is the download alone). */
  readonly source: 'hub' | 'nodeLocal' | 'pageCache' | 'objectStore';
  /** Measured seconds: a point (lo = hi) or the range of the row's ranks or repeats. */
  readonly seconds: readonly [lo: number, hi: number];
  readonly split: 'fit' | 'heldBack';
  readonly cite: string;
}

export type SizeClass = '≤4B' | '7–9B' | '30–35B MoE' | '70B dense' | '235B MoE';

const SIZE_CLASSES: ReadonlyArray<readonly [SizeClass, number, number]> = [
  ['≤4B', 0, 4.5e9],
  ['7–9B', 6.5e9, 9.5e9],
  ['30–35B MoE', 28e9, 36e9],
  ['70B dense', 65e9, 75e9],
  ['235B MoE', 220e9, 250e9],
];

/** The size class with measured rows that a model falls in; null when none does (e.g. 405B, 13B). */
export function sizeClassOf(params: number): SizeClass | null {
  for (const [name, lo, hi] of SIZE_CLASSES) if (params >= lo && params <= hi) return name;
  return null;
}

const B = 1e9;
const QWEN_1_5B: ModelFacts = { name: 'qwen2.5-1.5b', params: 1.54 * B, weightBytes: 3.09 * B };
const LLAMA_8B: ModelFacts = { name: 'llama-3.1-8b', params: 8.03 * B, weightBytes: 16.06 * B };
const QWEN3_30B_FP8: ModelFacts = { name: 'qwen3-30b-a3b', params: 30.5 * B, weightBytes: 30.5 * B, jitAddOns: ['deepgemm', 'flashinfer-moe-fp8'] };
const LLAMA_70B: ModelFacts = { name: 'llama-3.1-70b', params: 70.6 * B, weightBytes: 141.1 * B };
const QWEN3_235B: ModelFacts = { name: 'qwen3-235b-a22b', params: 235 * B, weightBytes: 470 * B };
const COLD = { weightsLoaded: false, compileCached: false };
const WARM = { weightsLoaded: true, compileCached: true };

export const MEASURED_STARTUPS: readonly MeasuredStartup[] = [
  // Fit: the Anyscale set r1–r8, the only rows covering every phase ("prefer them to calibrate", caveats).
  { id: 'r1', what: '70B TP4 8×H100, hub, cold', model: LLAMA_70B, tensorParallel: 4, source: 'hub', compileCache: 'none', warm: COLD, measured: [373, 373], split: 'fit', sizeClass: '70B dense', cite: '§3c 6m13s hub' },
  { id: 'r2–5', what: '70B TP4 8×H100, S3 sharded (Run:ai), cold', model: LLAMA_70B, tensorParallel: 4, source: 'objectStore', compileCache: 'none', warm: COLD, measured: [196, 196], split: 'fit', sizeClass: '70B dense', cite: '§3c 3m16s S3 sharded' },
  { id: 'r6', what: '235B MoE TP8, hub, cold', model: QWEN3_235B, tensorParallel: 8, source: 'hub', compileCache: 'none', warm: COLD, measured: [1004, 1004], split: 'fit', sizeClass: '235B MoE', cite: '§3c 16m44s from hub' },
  { id: 'r7–8', what: '235B MoE TP8, S3 sharded + shared compile cache', model: QWEN3_235B, tensorParallel: 8, source: 'objectStore', compileCache: 'shared', warm: { weightsLoaded: false, compileCached: true }, measured: [290, 290], split: 'fit', sizeClass: '235B MoE', cite: '§3c 4m50s' },
  // Fit: the JIT add-ons come from r11's own log; r19 set the ≤4B cold compile (its only cold row; "> 100 s").
  { id: 'r11 cold', what: '30B MoE FP8 TP1, local disk (A), no JIT/compile cache', model: QWEN3_30B_FP8, tensorParallel: 1, source: 'nodeLocal', compileCache: 'none', warm: COLD, measured: [264, 277], split: 'fit', sizeClass: '30–35B MoE', cite: '§3c 4.5–5 min (264–277 s)' },
  { id: 'r11 warm', what: '30B MoE FP8 TP1, JIT cache, weights in page cache', model: QWEN3_30B_FP8, tensorParallel: 1, source: 'nodeLocal', compileCache: 'perNode', warm: WARM, measured: [172, 172], split: 'fit', sizeClass: '30–35B MoE', cite: '§3c 172 s to first token with JIT cache' },
  { id: 'r19', what: '≤2B TP1, MinIO, cold', model: QWEN_1_5B, tensorParallel: 1, source: 'objectStore', compileCache: 'none', warm: COLD, measured: [100, Infinity], split: 'fit', sizeClass: '≤4B', cite: '§3c "> 100 s (r19: init alone 90.8 s)"' },
  // Held back: no default was set from these.
  { id: 'r17', what: '≤2B TP1, warm node (page cache, compile cache)', model: QWEN_1_5B, tensorParallel: 1, source: 'objectStore', compileCache: 'perNode', warm: WARM, measured: [50, 50], split: 'heldBack', sizeClass: '≤4B', cite: '§3c r17 actual total 50 s' },
  { id: '8B warm', what: '7–9B TP1, warm node', model: LLAMA_8B, tensorParallel: 1, source: 'objectStore', compileCache: 'perNode', warm: WARM, measured: [28.8, 44], split: 'heldBack', sizeClass: '7–9B', cite: '§3c 28.8 s to /health; 44 s to first token' },
  { id: '8B cold', what: '7–9B TP1, hub (A), no compile cache', model: LLAMA_8B, tensorParallel: 1, source: 'hub', compileCache: 'none', warm: COLD, measured: [86.6, 101], split: 'heldBack', sizeClass: '7–9B', cite: '§3c 86.6 s /health cold; 101 s dense 8B cold' },
];

const GiB = 1024 ** 3;

export const MEASURED_LOADS: readonly MeasuredLoad[] = [
  { id: 'r1 hub', what: '70B download', weightBytes: 141 * B, tensorParallel: 4, source: 'hub', seconds: [196.5, 196.5], split: 'fit', cite: '§3a 141 GB/196.5 s' },
  { id: 'r41 hub', what: 'small model download, latency-bound', weightBytes: 2.32 * B, tensorParallel: 1, source: 'hub', seconds: [14.58, 14.58], split: 'fit', cite: '§3a 2.32 GB/14.58 s' },
  { id: 'r29 disk', what: '70B TP4 local disk (TGI)', weightBytes: 140 * B, tensorParallel: 4, source: 'nodeLocal', seconds: [50, 50], split: 'fit', cite: '§3a 140 GB/50 s' },
  { id: 'r9 page cache', what: '235B TP8 second load', weightBytes: 439 * GiB, tensorParallel: 8, source: 'pageCache', seconds: [17.7, 19.6], split: 'fit', cite: '§3a 54.92 GiB/17.7–19.6 s per rank' },
  { id: 'r2–4 S3', what: '70B TP4 S3 sharded', weightBytes: 131.4 * GiB, tensorParallel: 4, source: 'objectStore', seconds: [32.86 / 1.4, 32.86 / 1.2], split: 'fit', cite: '§3a 1.2–1.4 GiB/s per rank (r2–4)' },
  { id: 'r5 hub', what: '70B download', weightBytes: 141 * B, tensorParallel: 4, source: 'hub', seconds: [216.4, 216.4], split: 'heldBack', cite: '§3a 141 GB/216.4 s' },
  { id: 'r6 hub', what: '235B download', weightBytes: 471 * B, tensorParallel: 8, source: 'hub', seconds: [682, 724], split: 'heldBack', cite: '§3a 471 GB/724 s and /682 s' },
  { id: 'TGI#653 hub', what: '~5B download', weightBytes: 9.98 * B, tensorParallel: 1, source: 'hub', seconds: [21, 21], split: 'heldBack', cite: '§3a 9.98 GB/21 s' },
  { id: 'r27 TP1', what: '13B TP1 local disk', weightBytes: 26 * B, tensorParallel: 1, source: 'nodeLocal', seconds: [16.0, 16.0], split: 'heldBack', cite: 'issue 14; §3a r26–27' },
  { id: 'r27 TP2', what: '13B TP2 local disk', weightBytes: 26 * B, tensorParallel: 2, source: 'nodeLocal', seconds: [14.4, 14.4], split: 'heldBack', cite: 'issue 14; §3a r26–27' },
  { id: 'r1 read-back', what: '70B TP4 read after the download (page cache)', weightBytes: 131.4 * GiB, tensorParallel: 4, source: 'pageCache', seconds: [15.8, 16.5], split: 'heldBack', cite: '§3a 32.86 GiB/15.8–16.5 s' },
  { id: 'r6 read-back', what: '235B TP8 read after the download (page cache)', weightBytes: 439 * GiB, tensorParallel: 8, source: 'pageCache', seconds: [32.1, 32.7], split: 'heldBack', cite: '§3a 54.92 GiB/32.1–32.7 s' },
  { id: 'r7–8 S3', what: '235B TP8 S3 sharded, 8 readers', weightBytes: 439 * GiB, tensorParallel: 8, source: 'objectStore', seconds: [54.92 / 0.76, 54.92 / 0.73], split: 'heldBack', cite: '§3a 0.73–0.76 GiB/s per rank' },
];

/** Where each phase's default comes from, for a model of `params` parameters served with `tp` ranks. */
export type PhaseProvenance = 'measured-fitted' | 'interpolated' | 'extrapolated' | 'given' | 'published' | 'derived';

/** TP degrees the engine-init term was fitted at (r1–r8 at TP4 and TP8; TP1 rows leave ≈0). */
const FITTED_TP = [1, 4, 8];

/**
 * Per phase: measured-fitted inside a size class with measured rows, interpolated between classes on the size
 * curves, extrapolated beyond the measured sizes (flat curves) or TP degrees.
 */
export function phaseProvenance(params: number, tp: number): Record<Exclude<StartupPhase, 'imagePull' | 'weightLoad' | 'warmup'>, PhaseProvenance> {
  const inClass = sizeClassOf(params) !== null;
  const beyond = params > SIZE_CLASSES[SIZE_CLASSES.length - 1][2];
  const bySize: PhaseProvenance = inClass ? 'measured-fitted' : beyond ? 'extrapolated' : 'interpolated';
  const byTp: PhaseProvenance = FITTED_TP.includes(tp) ? 'measured-fitted' : tp > 8 ? 'extrapolated' : 'interpolated';
  return { processStart: byTp, compile: bySize, graphCapture: bySize, kvProfile: bySize };
}

/** One line of estimate's phase breakdown. */
export interface PhaseSource {
  readonly phase: StartupPhase;
  readonly seconds: number;
  readonly provenance: PhaseProvenance;
  readonly basis: string;
}

const LOAD_BASIS: Readonly<Record<ConfiguredSource | 'peer', readonly [PhaseProvenance, string]>> = {
  objectStore: ['measured-fitted', 'S3 + Run:ai 1.2 GiB/s per rank, 6 GiB/s per node (r2–r8)'],
  hub: ['measured-fitted', 'hub 0.72 GB/s + 1 s per request (r1, r41), read back from the page cache'],
  networkFs: ['derived', 'GPFS ~3 GB/s per reader (huggingface/blog#521); node and store limits UNCONFIRMED'],
  nodeLocal: ['measured-fitted', 'local disk 2.8 GB/s per node, 2 GiB/s per rank (r29)'],
  pageCache: ['measured-fitted', 'page cache 3 GiB/s per rank, 23 GiB/s per node (r9)'],
  peer: ['published', 'GPU to GPU from a serving peer, 7.8 GB/s per rank (DeepSeek-class 8 GPUs in 11 s, issue 14)'],
};

export interface SourcesInput {
  readonly model: ModelFacts;
  readonly tensorParallel: number;
  readonly phases: Readonly<Record<StartupPhase, number>>;
  /** Which phases the scenario gave as durations (not `auto`). */
  readonly given: ReadonlySet<StartupPhase>;
  /** The store the weights came from (after levers), or null when the node's page cache held them. */
  readonly loadSource: ConfiguredSource | 'peer';
  readonly engineInitSeconds: number;
  readonly jitAddOns: readonly string[];
  readonly compileHit: boolean;
}

/** The phase breakdown of `estimate` with where each number comes from. */
export function phaseSources(input: SourcesInput): PhaseSource[] {
  const bySize = phaseProvenance(input.model.params, input.tensorParallel);
  const cls = sizeClassOf(input.model.params);
  const sizeBasis = cls !== null ? `size class ${cls}` : `no measured row for ${(input.model.params / 1e9).toFixed(0)}B: size curves ${bySize.compile === 'extrapolated' ? 'held flat beyond 235B' : 'interpolated in log(parameters)'}`;
  const jit = input.jitAddOns.length > 0 ? `, JIT add-ons ${input.jitAddOns.join(' + ')} (r11/r12)` : '';
  const basis: Record<StartupPhase, readonly [PhaseProvenance, string]> = {
    imagePull: ['derived', 'image bytes / pull bandwidth (one measured pull: 22 GB in 69.7 s, vllm#22377)'],
    processStart: [bySize.processStart, `15 s per process (r17–18, r49) + engine init ${input.engineInitSeconds.toFixed(1)} s (17 s per extra TP rank, fitted on r1–r8)`],
    weightLoad: LOAD_BASIS[input.loadSource],
    compile: [bySize.compile, `${input.compileHit ? 'compile-cache hit' : 'cold compile'}, ${sizeBasis}${jit}`],
    graphCapture: [bySize.graphCapture, sizeBasis],
    kvProfile: [bySize.kvProfile, sizeBasis],
    warmup: ['derived', 'vLLM runs no warm-up requests (0 s unless given)'],
  };
  return STARTUP_PHASES.map((phase) => {
    const [provenance, text] = input.given.has(phase) ? (['given', 'from the scenario'] as const) : basis[phase];
    return { phase, seconds: input.phases[phase], provenance, basis: text };
  });
}

/** The measured rows of the model's size class (for `estimate` to show what the numbers rest on). */
export function rowsForClass(params: number): readonly MeasuredStartup[] {
  const cls = sizeClassOf(params);
  return cls === null ? [] : MEASURED_STARTUPS.filter((r) => r.sizeClass === cls);
}
