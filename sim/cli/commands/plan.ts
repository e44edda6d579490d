import { renderPlanJson, renderPlanMarkdown, writePlanOutputs } from '../../../reports/plan.js';
import { defaultThreads, openRunPool } from '../../batch/run-many.js';
import { InputError } from '../../errors.js';
import type { PlanLimits } from '../../plan/constraints.js';
import { plan, type PlanResult } from '../../plan/plan.js';
import { planTiming, timingLine } from '../../plan/timing.js';
import { parseDuration } from '../../config/units.js';
import { EXIT_ASSERTION_FAILED, EXIT_OK } from '../exit-codes.js';
import { parsePositiveInt, toStringList } from '../options.js';

export interface PlanArgs {
  scenario: string;
  seeds?: unknown;
  'budget-gpus'?: unknown;
  'max-duration'?: unknown;
  'max-dropped'?: unknown;
  'max-rejected'?: unknown;
  'max-spike-ratio'?: unknown;
  risk?: unknown;
  'verify-seeds'?: unknown;
  'max-seeds'?: unknown;
  threads?: unknown;
  set?: unknown;
  json?: boolean;
  out?: string;
}

function parseCount(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InputError(`"${String(value)}" is not a whole number of 0 or more`, flag);
  return n;
}

function parseRatio(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1) throw new InputError(`"${String(value)}" is not a ratio of 1 or more (peak-window TTFT p95 / baseline)`, flag);
  return n;
}

/** `1%`, `0.5%` or `0.01`: a probability strictly between 0 and 1. */
export function parseRisk(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const n = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  if (text === '' || text === '%' || !(n > 0 && n < 1)) throw new InputError(`"${text}" is not a probability between 0 and 1, e.g. 1% or 0.01`, '--risk');
  return n;
}

export function limitsFromArgs(args: PlanArgs): Partial<PlanLimits> {
  const limits: { -readonly [K in keyof PlanLimits]?: PlanLimits[K] } = {};
  const maxDropped = parseCount(args['max-dropped'], '--max-dropped');
  const maxRejected = parseCount(args['max-rejected'], '--max-rejected');
  const maxSpikeRatio = parseRatio(args['max-spike-ratio'], '--max-spike-ratio');
  const budgetGpus = parsePositiveInt(args['budget-gpus'], '--budget-gpus');
  if (maxDropped !== undefined) limits.maxDropped = maxDropped;
  if (maxRejected !== undefined) limits.maxRejected = maxRejected;
  if (maxSpikeRatio !== undefined) limits.maxSpikeRatio = maxSpikeRatio;
  if (budgetGpus !== undefined) limits.budgetGpus = budgetGpus;
  if (args['max-duration'] !== undefined) limits.maxDurationSeconds = parseDuration(String(args['max-duration']), '--max-duration');
  return limits;
}

/**
 * Plans the rollout: prints the plan (Markdown, or JSON with --json) on stdout and its progress and wall time on
 * stderr, so the plan itself is the same whatever the machine. Exits 1 when no configuration met every
 * constraint.
 */
export async function planCommand(args: PlanArgs): Promise<number> {
  const threads = parsePositiveInt(args.threads, '--threads') ?? defaultThreads();
  const started = Date.now();
  let total = 0;
  const pool = openRunPool(threads);
  let result: PlanResult;
  try {
    result = await plan({
      file: args.scenario,
      overrides: toStringList(args.set),
      seeds: parsePositiveInt(args.seeds, '--seeds'),
      limits: limitsFromArgs(args),
      risk: parseRisk(args.risk),
      verifySeeds: parseCount(args['verify-seeds'], '--verify-seeds'),
      maxSeeds: parsePositiveInt(args['max-seeds'], '--max-seeds'),
      pool,
      preflight: true,
      onBatch: (stages, runs) => {
        total += runs;
        process.stderr.write(`plan: ${stages}: ${runs} runs (${total} so far)\n`);
      },
    });
  } finally {
    await pool.close();
  }
  const timing = planTiming(pool.runs, (Date.now() - started) / 1000, threads);
  process.stderr.write(`plan: ${timingLine(timing)}\n`);
  if (args.out) {
    writePlanOutputs(args.out, result);
    process.stderr.write(`wrote ${args.out}/ (plan.md, plan.html, plan.json${result.recommended ? ', strategy.yaml' : ''})\n`);
  }
  // The timing is the one part of the output that changes from run to run; the files under --out leave it out.
  process.stdout.write(args.json ? renderPlanJson(result, timing) : `${renderPlanMarkdown(result)}\n${timingLine(timing)}\n`);
  return result.recommended ? EXIT_OK : EXIT_ASSERTION_FAILED;
}
