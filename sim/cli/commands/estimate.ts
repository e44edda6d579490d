import { resolveStartupInput, zStartup } from '../../cluster/schema.js';
import { estimateStartup } from '../../cluster/estimate.js';
import { phaseSources, rowsForClass, sizeClassOf } from '../../cluster/startup-evidence.js';
import { engineInitSeconds, resolveStartup, type StartupPhase } from '../../cluster/startup-spec.js';
import { modelFactsOf } from '../../cluster/template.js';
import { InputError } from '../../errors.js';
import { withUserCatalog } from '../../serving/catalog/catalog-scope.js';
import { resolveModel } from '../../serving/catalog/resolve.js';
import { loadCatalogFile } from '../../scenario/catalog-file.js';
import { estimateServing } from '../../serving/estimate.js';
import { estimateMultiNodeCommand } from './estimate-multi-node.js';
import { renderEstimateText } from '../estimate-text.js';
import { parseKvDtype, parsePositiveInt, parseWeightDtype } from '../options.js';

export interface EstimateArgs {
  model: string;
  gpu: string;
  tp?: unknown;
  batch?: unknown;
  context?: unknown;
  prompt?: unknown;
  source?: string;
  'weight-dtype'?: string;
  'kv-dtype'?: string;
  'compile-cache'?: string;
  'from-peer'?: boolean;
  'local-model-cache'?: boolean;
  'warm-node'?: boolean;
  json?: boolean;
  /** Nodes per replica (multi-node, e.g. LeaderWorkerSet groups); --tp is then the GPUs of each node. */
  nodes?: unknown;
  network?: string;
  'enforce-eager'?: boolean;
  'cuda-graphs-in-kv-budget'?: boolean;
  /** A user catalog file whose GPUs and models --gpu and --model may name. */
  catalog?: string;
}

const FLAG_OF: Readonly<Record<string, string>> = { weightSource: '--source', compileCache: '--compile-cache' };

/**
 * Serving figures (memory, KV, step times) and start-up figures (each phase with its source, time to ready) of
 * one replica. `--compile-cache shared|perNode` estimates a pod that finds the cache filled (a later pod of the
 * version); `none` compiles cold. `--from-peer` assumes a pod of the same version already serves.
 */
export function estimateCommand(args: EstimateArgs): number {
  const catalog = args.catalog === undefined ? undefined : loadCatalogFile(args.catalog, '--catalog');
  return withUserCatalog(catalog, () => estimateInCatalog(args));
}

function estimateInCatalog(args: EstimateArgs): number {
  const tp = parsePositiveInt(args.tp ?? 1, '--tp') as number;
  const nodes = parsePositiveInt(args.nodes ?? 1, '--nodes') as number;
  if (nodes > 1) return estimateMultiNodeCommand(args, tp, nodes);
  const weightDtype = parseWeightDtype(args['weight-dtype']) ?? 'bf16';
  const serving = estimateServing({
    model: args.model,
    gpu: args.gpu,
    tp,
    batch: parsePositiveInt(args.batch ?? 1, '--batch') as number,
    context: parsePositiveInt(args.context ?? 1024, '--context') as number,
    prompt: parsePositiveInt(args.prompt ?? 1024, '--prompt') as number,
    weightDtype,
    kvDtype: parseKvDtype(args['kv-dtype']) ?? 'bf16',
    enforceEager: args['enforce-eager'] ?? false,
    cudaGraphsInKvBudget: args['cuda-graphs-in-kv-budget'] ?? false,
  });
  const startupParsed = zStartup.safeParse({
    ...(args.source ? { weightSource: args.source } : {}),
    ...(args['compile-cache'] ? { compileCache: args['compile-cache'] } : {}),
    fromPeers: args['from-peer'] ?? false,
    localModelCache: args['local-model-cache'] ?? false,
  });
  if (!startupParsed.success) {
    const issue = startupParsed.error.issues[0];
    throw new InputError(issue.message, FLAG_OF[String(issue.path[0])] ?? '--source');
  }
  const facts = modelFactsOf(resolveModel(args.model, '--model'), weightDtype);
  const spec = resolveStartup(resolveStartupInput(startupParsed.data, process.cwd()), facts, tp);
  const warmNode = args['warm-node'] ?? false;
  const compileHit = spec.compileCache !== 'none' || warmNode || spec.fromPeers;
  const startup = estimateStartup({
    model: facts,
    tensorParallel: tp,
    startup: spec,
    node: { hasImage: warmNode, weightsLoaded: warmNode, compileCached: spec.compileCache !== 'none' || warmNode, peerServing: spec.fromPeers },
  });
  const sources = phaseSources({
    model: facts,
    tensorParallel: tp,
    phases: startup.phases,
    given: new Set<StartupPhase>(),
    loadSource: spec.fromPeers && !warmNode ? 'peer' : warmNode ? 'pageCache' : spec.localModelCache ? 'nodeLocal' : spec.weightSource,
    engineInitSeconds: engineInitSeconds(tp),
    jitAddOns: spec.jitAddOns.map((a) => a.name),
    compileHit,
  });
  const rows = rowsForClass(facts.params);
  const measuredNote =
    sizeClassOf(facts.params) === null
      ? `no measured start-up row for a model of ${(facts.params / 1e9).toFixed(0)}B parameters: the size-dependent phases are ${sources.find((s) => s.phase === 'compile')?.provenance}`
      : `measured rows of class ${sizeClassOf(facts.params)}: ${rows.map((r) => `${r.id} ${r.what} (${formatMeasured(r.measured)})`).join('; ')}`;
  const result = {
    ...serving,
    weightSource: startupParsed.data.weightSource,
    compileCache: startupParsed.data.compileCache,
    fromPeers: spec.fromPeers,
    localModelCache: spec.localModelCache,
    warmNode,
    timeToReadySeconds: startup.timeToReadySeconds,
    timeToServableSeconds: startup.timeToServableSeconds,
    startupPhases: startup.phases,
    startupSources: sources,
    measuredRows: measuredNote,
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  const { startupSources: _sources, startupPhases: _phases, vllmLog, ...flat } = result;
  const lines = ['', 'memory as vLLM logs it (GiB = 2^30 bytes; per GPU unless a replica total):', ...vllmLog.map((line) => `  ${line}`)];
  lines.push('', 'start-up phases (image pull, then process start → serving), seconds and sources:');
  for (const s of sources) lines.push(`  ${s.phase.padEnd(13)} ${s.seconds.toFixed(1).padStart(8)} s  ${s.provenance.padEnd(16)} ${s.basis}`);
  process.stdout.write(`${renderEstimateText(flat)}${lines.join('\n')}\n`);
  return 0;
}

function formatMeasured([lo, hi]: readonly [number, number]): string {
  if (hi === Infinity) return `> ${lo} s`;
  return lo === hi ? `${lo} s` : `${lo}–${hi} s`;
}
