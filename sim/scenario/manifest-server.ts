import { MODEL_CATALOG } from '../serving/catalog/models.js';
import { formatPath } from '../config/issues.js';
import type { FieldPath, ManifestReader } from './manifest-reader.js';
import { findVllmCommandLine, type VllmFlag } from './manifest-vllm.js';

/**
 * The server settings and tensor parallelism of a vLLM container, from its command line and GPU limit.
 * The model itself is named by the scenario; the command line's model is only checked against the catalog.
 */

export interface ServerImport {
  /** Fields of spec.server; empty when the command line sets none. */
  readonly server: Record<string, unknown>;
  /** GPUs of one pod: --tensor-parallel-size, else its nvidia.com/gpu (for a multi-pod replica, always the latter). */
  readonly tensorParallel: number | undefined;
  /** A multi-pod replica's layout across its pods, read from --pipeline-parallel-size and --tensor-parallel-size. */
  readonly layout?: 'pipeline' | 'tensor';
  /** vLLM arguments the simulator does not model, as `<field> (--flag)`. */
  readonly unmodelledArguments: readonly string[];
}

interface ValueFlag {
  readonly field: string;
  readonly parse: (text: string) => number | null;
  readonly expected: string;
}

const wholeAtLeast = (min: number) => (text: string) => (/^\d+$/.test(text) && Number(text) >= min ? Number(text) : null);
const seconds = (text: string) => (/^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : null);
const fraction = (text: string) => {
  const v = seconds(text);
  return v !== null && v > 0 && v <= 1 ? v : null;
};

const SERVER_FLAGS: ReadonlyMap<string, ValueFlag> = new Map([
  ['--max-num-seqs', { field: 'maxNumSeqs', parse: wholeAtLeast(1), expected: 'a whole number ≥ 1' }],
  ['--max-num-batched-tokens', { field: 'maxNumBatchedTokens', parse: wholeAtLeast(1), expected: 'a whole number ≥ 1' }],
  ['--shutdown-timeout', { field: 'shutdownTimeout', parse: seconds, expected: 'seconds ≥ 0' }],
  ['--gpu-memory-utilization', { field: 'gpuMemoryUtilization', parse: fraction, expected: 'a fraction in (0, 1]' }],
  ['--block-size', { field: 'blockSize', parse: wholeAtLeast(1), expected: 'a whole number ≥ 1' }],
]);
const PREFIX_CACHING_SWITCHES: ReadonlyMap<string, boolean> = new Map([
  ['--enable-prefix-caching', true],
  ['--no-enable-prefix-caching', false],
]);
const TENSOR_PARALLEL_FLAGS = new Set(['--tensor-parallel-size', '-tp']);
const PIPELINE_PARALLEL_FLAGS = new Set(['--pipeline-parallel-size', '-pp']);
const MODEL_FLAG = '--model';

/**
 * `replicaPods` > 1: the container is a LeaderWorkerSet leader whose engine spans that many pods of `gpus` GPUs, so
 * --pipeline-parallel-size and a tensor parallelism over every pod's GPUs describe the layout, not one pod.
 */
export function importServer(
  r: ManifestReader,
  container: FieldPath,
  vllmImage: boolean,
  gpus: number | undefined,
  warnings: string[],
  replicaPods = 1,
): ServerImport {
  const command = r.strings([...container, 'command']);
  const args = r.strings([...container, 'args']);
  const line = findVllmCommandLine(command, args, container, vllmImage);
  if (line === undefined) {
    // The command and args stay unread, so they are listed among the unmodelled fields.
    warnings.push(`${r.field(container)}: no vLLM command line (vllm serve or vllm.entrypoints.openai.api_server); the server settings come from the scenario`);
    return { server: {}, tensorParallel: gpus, unmodelledArguments: [] };
  }

  for (const field of ['command', 'args']) r.markRead([...container, field]);
  const server: Record<string, unknown> = {};
  const unmodelledArguments: string[] = [];
  let tensorParallel: number | undefined;
  let pipelineParallel: number | undefined;
  let model = line.model;
  for (const flag of line.flags) {
    const valueFlag = SERVER_FLAGS.get(flag.name);
    if (valueFlag !== undefined) {
      const v = flagValue(r, flag, valueFlag, warnings);
      if (v !== undefined) server[valueFlag.field] = v;
    } else if (PREFIX_CACHING_SWITCHES.has(flag.name)) {
      server.prefixCaching = PREFIX_CACHING_SWITCHES.get(flag.name);
    } else if (TENSOR_PARALLEL_FLAGS.has(flag.name)) {
      tensorParallel = flagValue(r, flag, { field: 'tensorParallel', parse: wholeAtLeast(1), expected: 'a whole number ≥ 1' }, warnings);
    } else if (replicaPods > 1 && PIPELINE_PARALLEL_FLAGS.has(flag.name)) {
      pipelineParallel = flagValue(r, flag, { field: 'leaderWorkerSet.layout', parse: wholeAtLeast(1), expected: 'a whole number ≥ 1' }, warnings);
    } else if (flag.name === MODEL_FLAG && flag.value !== undefined) {
      model = { value: flag.value, field: flag.field };
    } else {
      unmodelledArguments.push(`${formatPath(flag.field)} (${flag.name})`);
    }
  }
  if (model !== undefined && !looksLikeCatalogModel(model.value)) {
    warnings.push(
      `${r.field(model.field)}: the served model ${JSON.stringify(model.value)} does not look like a catalog model (${[...MODEL_CATALOG.keys()].join(', ')}); spec.model names the model simulated`,
    );
  }
  if (replicaPods > 1) return { server, unmodelledArguments, ...groupLayout(r, container, gpus, tensorParallel, pipelineParallel, replicaPods, warnings) };
  if (tensorParallel !== undefined && gpus !== undefined && gpus !== tensorParallel) {
    warnings.push(`${r.field(container)}: ${gpus} GPUs (nvidia.com/gpu) but --tensor-parallel-size ${tensorParallel}; tensorParallel ${tensorParallel} is simulated`);
  }
  return { server, tensorParallel: tensorParallel ?? gpus, unmodelledArguments };
}

/**
 * A group's layout from the leader's command line: --pipeline-parallel-size = pods is pipeline stages (TP inside a
 * pod); --tensor-parallel-size = pods × GPUs is one tensor-parallel group over all of them. Each pod holds its
 * nvidia.com/gpu (else the per-stage tensor parallelism).
 * Example: 2 pods of 8 GPUs, `--tensor-parallel-size 8 --pipeline-parallel-size 2` → pipeline, 8 GPUs per pod.
 */
function groupLayout(
  r: ManifestReader,
  container: FieldPath,
  gpus: number | undefined,
  tensorParallel: number | undefined,
  pipelineParallel: number | undefined,
  pods: number,
  warnings: string[],
): Pick<ServerImport, 'tensorParallel' | 'layout'> {
  const perPod = gpus ?? tensorParallel;
  if (tensorParallel !== undefined && perPod !== undefined && tensorParallel === perPod * pods && (pipelineParallel ?? 1) === 1) return { tensorParallel: perPod, layout: 'tensor' };
  if ((pipelineParallel === undefined || pipelineParallel === pods) && (tensorParallel === undefined || tensorParallel === perPod)) {
    return { tensorParallel: perPod, layout: 'pipeline' };
  }
  warnings.push(
    `${r.field(container)}: --tensor-parallel-size ${tensorParallel ?? '(unset)'} and --pipeline-parallel-size ${pipelineParallel ?? '(unset)'} do not span ` +
      `the group's ${pods} pods × ${perPod ?? '?'} GPUs; simulated as ${pods} pipeline stages of ${perPod ?? tensorParallel} GPUs`,
  );
  return { tensorParallel: perPod ?? tensorParallel, layout: 'pipeline' };
}

/** The parsed value; undefined (with a warning) when the shell or Kubernetes would substitute a variable. */
function flagValue(r: ManifestReader, flag: VllmFlag, spec: ValueFlag, warnings: string[]): number | undefined {
  if (flag.value === undefined) r.fail(flag.field, `${flag.name} has no value; expected ${spec.expected}`);
  if (flag.value.includes('$')) {
    warnings.push(`${r.field(flag.field)}: ${flag.name} ${flag.value} is a variable, not imported; set ${spec.field} in the scenario`);
    return undefined;
  }
  const v = spec.parse(flag.value);
  if (v === null) r.fail(flag.field, `${flag.name} ${JSON.stringify(flag.value)} is not ${spec.expected}`);
  return v;
}

/** `meta-llama/Meta-Llama-3.1-70B-Instruct` looks like llama-3.1-70b: the catalog name inside the checkpoint's. */
function looksLikeCatalogModel(model: string): boolean {
  const name = model.toLowerCase().split('/').pop() ?? '';
  return [...MODEL_CATALOG.keys()].some((key) => name.includes(key));
}
