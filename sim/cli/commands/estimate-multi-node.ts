import { estimateMultiNode } from '../../serving/multi-node-estimate.js';
import { parseKvDtype, parsePositiveInt, parseWeightDtype } from '../options.js';

const GiB = 2 ** 30;

/** `estimate --nodes N`: memory of the whole replica and the step times of its two multi-node layouts. */
/** The flags of `estimate` this command reads. */
export interface MultiNodeArgs {
  model: string;
  gpu: string;
  batch?: unknown;
  context?: unknown;
  prompt?: unknown;
  network?: string;
  'weight-dtype'?: string;
  'kv-dtype'?: string;
  json?: boolean;
}

export function estimateMultiNodeCommand(args: MultiNodeArgs, gpusPerNode: number, nodes: number): number {
  const weightDtype = parseWeightDtype(args['weight-dtype']) ?? 'bf16';
  const e = estimateMultiNode({
    model: args.model,
    gpu: args.gpu,
    gpusPerNode,
    nodes,
    network: args.network,
    batch: parsePositiveInt(args.batch ?? 1, '--batch') as number,
    context: parsePositiveInt(args.context ?? 1024, '--context') as number,
    prompt: parsePositiveInt(args.prompt ?? 1024, '--prompt') as number,
    weightDtype,
    kvDtype: parseKvDtype(args['kv-dtype']) ?? 'bf16',
  });
  if (args.json) {
    process.stdout.write(`${JSON.stringify(e, null, 2)}\n`);
    return 0;
  }
  const m = e.memory;
  const lines = [
    `${e.model} on ${e.nodes} nodes × ${e.gpusPerNode} ${e.gpu} (${e.network})`,
    `  parameters            ${(m.parameters / 1e9).toFixed(1)} B (${(m.activeParameters / 1e9).toFixed(1)} B active)`,
    `  weights per GPU       ${(m.weightBytesPerGpu / GiB).toFixed(1)} GiB`,
    `  KV cache              ${m.kvCacheTokens} tokens (${m.maxConcurrentAtContext} sequences at --context)`,
    `  one node              ${e.oneNode ?? 'fits: multi-node is a choice here, not a need'}`,
    '  layout     decode step   tokens/s   prefill   bubble',
  ];
  for (const l of e.layouts) {
    lines.push(
      `  ${l.layout.padEnd(9)} ${l.decodeStepMs.toFixed(1).padStart(8)} ms ${l.decodeTokensPerSec.toFixed(0).padStart(9)} ${l.prefillMs.toFixed(0).padStart(6)} ms   ${l.bubbleFraction === null ? '-' : `${(100 * l.bubbleFraction).toFixed(0)} %`}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
