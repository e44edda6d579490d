import { InputError } from '../errors.js';

/**
 * The start-up lines of a vLLM server's log (`kubectl logs <pod>`), V0 and V1 wordings:
 *   Loading weights took 3.45 seconds
 *   Loading model weights took 14.99 GB                        (V0: the load's seconds come from the stamps)
 *   Model loading took 14.99 GiB and 4.12 seconds            (newer: "... GiB memory and 4.12 seconds")
 *   torch.compile takes 19.2 s in total
 *   Memory profiling takes 1.52 seconds                        (V0)
 *   # GPU blocks: 27906, # CPU blocks: 2048                    (V0)
 *   GPU KV cache size: 435,808 tokens                          (V1)
 *   Graph capturing finished in 11 secs, took 0.52 GiB
 *   init engine (profile, create kv cache, warmup model) took 29.43 seconds   (V1)
 * and the leading "INFO 07-15 10:21:33" timestamps, which give the process's time before the model load.
 */
export interface StartupLog {
  readonly file: string;
  /** Seconds per phase, one sample per start found in the log. */
  readonly phases: {
    readonly processStart: number[];
    readonly weightLoad: number[];
    readonly compile: number[];
    readonly graphCapture: number[];
    readonly kvProfile: number[];
  };
  /** GiB of weights per GPU ("Model loading took X GiB"). */
  readonly weightGiB: number[];
  /** KV capacity: blocks (V0) or tokens (V1). */
  readonly kvBlocks: number[];
  readonly kvTokens: number[];
  /** Lines the parser used. */
  readonly records: number;
}

const NUMBER = String.raw`([0-9][0-9,]*(?:\.[0-9]+)?)`;
const LINES = {
  loadingWeights: new RegExp(String.raw`Loading weights took ${NUMBER} ?(?:seconds|secs|s)\b`),
  modelLoading: new RegExp(String.raw`Model loading took ${NUMBER} ?GiB(?: memory)? and ${NUMBER} ?(?:seconds|secs|s)\b`),
  compile: new RegExp(String.raw`torch\.compile takes ${NUMBER} ?s in total`),
  profiling: new RegExp(String.raw`Memory profiling takes ${NUMBER} ?(?:seconds|secs|s)\b`),
  gpuBlocks: new RegExp(String.raw`# GPU blocks: ${NUMBER}`),
  kvTokens: new RegExp(String.raw`GPU KV cache size: ${NUMBER} tokens`),
  graphs: new RegExp(String.raw`Graph capturing finished in ${NUMBER} ?(?:secs|seconds|s)\b`),
  initEngine: new RegExp(String.raw`init engine \(profile, create kv cache, warmup model\) took ${NUMBER} ?(?:seconds|secs|s)\b`),
  /** V0 logs the weights' memory, not the load's seconds: those come from the time stamps. */
  v0Loaded: new RegExp(String.raw`Loading model weights took ${NUMBER} ?GB`),
  loadStart: /Starting to load model/,
} as const;
/** vLLM's logger prefix: "INFO 07-15 10:21:33" (level, month-day, time). */
const STAMP = /\b(?:DEBUG|INFO|WARNING|ERROR|CRITICAL) (\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?/;

export function isVllmLog(text: string): boolean {
  return LINES.loadingWeights.test(text) || LINES.modelLoading.test(text) || LINES.v0Loaded.test(text) || LINES.graphs.test(text) || LINES.initEngine.test(text);
}

export function parseVllmLog(file: string, text: string): StartupLog {
  const phases = { processStart: [] as number[], weightLoad: [] as number[], compile: [] as number[], graphCapture: [] as number[], kvProfile: [] as number[] };
  const weightGiB: number[] = [];
  const kvBlocks: number[] = [];
  const kvTokens: number[] = [];
  let records = 0;
  let firstStamp = NaN;
  let loadSeen = false;
  let loadStartAt = NaN;
  // Per start: what V1's init-engine total is split into.
  let compile = 0;
  let graphs = 0;
  let profiled = false;
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const num = (text: string, field: string): number => {
      const v = Number(text.replace(/,/g, ''));
      if (!Number.isFinite(v)) throw new InputError({ expected: `a number for ${field}`, got: `"${text}"` }, `${file} line ${i + 1}`);
      return v;
    };
    const stamp = STAMP.exec(line);
    const at = stamp === null ? NaN : stampSeconds(stamp);
    if (Number.isFinite(at) && !Number.isFinite(firstStamp)) firstStamp = at;
    if (!loadSeen && LINES.loadStart.test(line)) {
      loadSeen = true;
      loadStartAt = at;
      if (Number.isFinite(at) && Number.isFinite(firstStamp)) phases.processStart.push(at - firstStamp);
    }
    let m: RegExpExecArray | null;
    if ((m = LINES.loadingWeights.exec(line))) {
      phases.weightLoad.push(num(m[1], 'the weight-load seconds'));
      records++;
    } else if ((m = LINES.modelLoading.exec(line))) {
      weightGiB.push(num(m[1], 'the weights in GiB'));
      // The total of the load when no "Loading weights took" line came before it.
      if (phases.weightLoad.length < weightGiB.length) phases.weightLoad.push(num(m[2], 'the model-loading seconds'));
      records++;
    } else if ((m = LINES.v0Loaded.exec(line))) {
      weightGiB.push(num(m[1], 'the weights in GB') * 1e9 / 1024 ** 3);
      if (Number.isFinite(at) && Number.isFinite(loadStartAt)) phases.weightLoad.push(at - loadStartAt);
      records++;
    } else if ((m = LINES.compile.exec(line))) {
      compile = num(m[1], 'the torch.compile seconds');
      phases.compile.push(compile);
      records++;
    } else if ((m = LINES.profiling.exec(line))) {
      phases.kvProfile.push(num(m[1], 'the memory-profiling seconds'));
      profiled = true;
      records++;
    } else if ((m = LINES.gpuBlocks.exec(line))) {
      kvBlocks.push(num(m[1], 'the GPU block count'));
      records++;
    } else if ((m = LINES.kvTokens.exec(line))) {
      kvTokens.push(num(m[1], 'the KV cache tokens'));
      records++;
    } else if ((m = LINES.graphs.exec(line))) {
      graphs = num(m[1], 'the graph-capture seconds');
      phases.graphCapture.push(graphs);
      records++;
    } else if ((m = LINES.initEngine.exec(line))) {
      // V1 logs no profiling time of its own: it is what the engine init leaves after compile and capture.
      if (!profiled) phases.kvProfile.push(Math.max(0, num(m[1], 'the init-engine seconds') - compile - graphs));
      compile = 0;
      graphs = 0;
      profiled = false;
      loadSeen = false;
      firstStamp = NaN;
      records++;
    }
  });
  if (records === 0) {
    throw new InputError('has none of vLLM\'s start-up lines ("Loading weights took", "Model loading took", "Graph capturing finished in", "init engine ... took"); expected a vLLM server log', `${file} line 1`);
  }
  return { file, phases, weightGiB, kvBlocks, kvTokens, records };
}

/** Seconds of a month-day-time stamp (the year is not logged; a start rarely spans New Year). */
function stampSeconds(m: RegExpExecArray): number {
  const [, mo, d, h, mi, s, frac] = m;
  return Date.UTC(2001, +mo - 1, +d, +h, +mi, +s) / 1000 + (frac === undefined ? 0 : Number(`0.${frac}`));
}
