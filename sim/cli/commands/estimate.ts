import { resolveStartupInput } from '../../cluster/schema.js';
import { zStartup } from '../../cluster/schema.js';
import { estimateStartup } from '../../cluster/estimate.js';
import { resolveStartup } from '../../cluster/startup-spec.js';
import { modelFactsOf } from '../../cluster/template.js';
import { InputError } from '../../errors.js';
import { resolveModel } from '../../serving/catalog/resolve.js';
import { estimateServing } from '../../serving/estimate.js';
import type { WeightDtype } from '../../serving/catalog/dtypes.js';
import { renderEstimateText } from '../estimate-text.js';
import { parsePositiveInt } from '../options.js';

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
  json?: boolean;
}

/** Serving figures (memory, KV, step times) and start-up figures (each phase, time to ready) of one replica. */
export function estimateCommand(args: EstimateArgs): number {
  const tp = parsePositiveInt(args.tp ?? 1, '--tp') as number;
  const weightDtype = (args['weight-dtype'] ?? 'bf16') as WeightDtype;
  if (!['bf16', 'fp8', 'int4'].includes(weightDtype)) {
    throw new InputError(`"${weightDtype}" is not a weight dtype; expected bf16, fp8 or int4`, '--weight-dtype');
  }
  const serving = estimateServing({
    model: args.model,
    gpu: args.gpu,
    tp,
    batch: parsePositiveInt(args.batch ?? 1, '--batch') as number,
    context: parsePositiveInt(args.context ?? 1024, '--context') as number,
    prompt: parsePositiveInt(args.prompt ?? 1024, '--prompt') as number,
    weightDtype,
    kvDtype: (args['kv-dtype'] ?? 'bf16') as 'bf16' | 'fp8',
  });
  const startupParsed = zStartup.safeParse({
    ...(args.source ? { weightSource: args.source } : {}),
    ...(args['compile-cache'] ? { compileCache: args['compile-cache'] } : {}),
  });
  if (!startupParsed.success) {
    const issue = startupParsed.error.issues[0];
    throw new InputError(issue.message, issue.path[0] === 'weightSource' ? '--source' : '--compile-cache');
  }
  const facts = modelFactsOf(resolveModel(args.model, '--model'), weightDtype);
  const startup = estimateStartup({
    model: facts,
    tensorParallel: tp,
    startup: resolveStartup(resolveStartupInput(startupParsed.data, process.cwd()), facts),
  });
  const result = {
    ...serving,
    weightSource: startupParsed.data.weightSource,
    compileCache: startupParsed.data.compileCache,
    timeToReadySeconds: startup.timeToReadySeconds,
    timeToServableSeconds: startup.timeToServableSeconds,
    startupPhases: startup.phases,
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    process.stdout.write(renderEstimateText(result));
  }
  return 0;
}
