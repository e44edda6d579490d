#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT_BAD_INPUT, reportError } from './exit-codes.js';

// Each command's module is imported when the command runs: `--help` and a mistyped flag then load yargs only,
// not mathjs, zod, vega and the simulator (issue 21: --help under 0.3 s).

/** Runs a command handler and turns its result or error into the process exit code. */
function exitWith(handler: () => number | Promise<number>): Promise<void> {
  return Promise.resolve()
    .then(handler)
    .then(
      (code) => {
        process.exitCode = code;
      },
      (err: unknown) => {
        process.exitCode = reportError(err);
      },
    );
}

/** This package's version (main.js is dist/sim/cli/main.js). Left to itself, yargs reads the package.json of the
 * folder yargs is installed in, which is the depending project's when rollout-sim is installed as a dependency. */
const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const runOptions = {
  seed: { type: 'string', describe: 'seed of every random stream (default: spec.seed)' },
  set: { type: 'string', array: true, describe: 'override a field: --set spec.deployment.replicas=8 (repeatable)' },
  'max-events': { type: 'string', describe: 'stop a run after this many events (guard)' },
  'max-memory': { type: 'string', describe: 'stop a run when the heap exceeds this size, e.g. 4GiB (guard)' },
} as const;

await yargs(hideBin(process.argv))
  .scriptName('rollout-sim')
  .usage('$0 <command> [options]\n\nSimulates rolling out a new LLM model version on a GPU Kubernetes cluster.')
  .command(
    'run <scenario>',
    'run one scenario: print the summary, write reports, fail (exit 1) when an assertion is false',
    (y) =>
      y
        .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario YAML file' })
        .options(runOptions)
        .option('out', { type: 'string', describe: 'write summary.json, timeseries.csv, events.csv, report.md, report.html, charts/ here' })
        .option('json', { type: 'boolean', describe: 'print the summary JSON and nothing else on stdout' })
        .option('requests', { type: 'boolean', describe: 'also write requests.csv (one row per request)' })
        .option('svg', { type: 'boolean', default: true, describe: 'render the charts as SVG files too (--no-svg to skip)' })
        .option('calibration', { type: 'string', describe: 'a calibration file (rollout-sim calibrate); sets spec.calibration' })
        .option('catalog', { type: 'string', describe: 'a catalog file of extra GPUs and models (docs/catalog.md); sets spec.catalog' }),
    (argv) => exitWith(async () => (await import('./commands/run.js')).runCommand(argv as never)),
  )
  .command(
    'validate <scenario>',
    'check a scenario file and print its hash',
    (y) => y.positional('scenario', { type: 'string', demandOption: true }).options({ set: runOptions.set }),
    (argv) => exitWith(async () => (await import('./commands/validate.js')).validateCommand(argv as never)),
  )
  .command('schema', 'print the JSON Schema of scenario files (for editors)', {}, () => exitWith(async () => (await import('./commands/validate.js')).schemaCommand()))
  .command(
    'estimate',
    'memory, KV capacity, step times and start-up time of one replica',
    (y) =>
      y
        .option('model', { type: 'string', demandOption: true, describe: 'catalog model, e.g. llama-3.1-70b' })
        .option('gpu', { type: 'string', demandOption: true, describe: 'catalog GPU, e.g. h100-80gb' })
        .option('tp', { type: 'string', default: '1', describe: 'tensor-parallel GPUs per replica' })
        .option('batch', { type: 'string', default: '1', describe: 'decoding sequences in a step' })
        .option('context', { type: 'string', default: '1024', describe: 'context tokens of each decoding sequence' })
        .option('prompt', { type: 'string', default: '1024', describe: 'prompt tokens prefilled' })
        .option('source', { type: 'string', describe: 'weight source: objectStore, hub, networkFs, nodeLocal, pageCache' })
        .option('compile-cache', { type: 'string', describe: 'none (cold compile), shared or perNode (a pod that finds the cache filled)' })
        .option('from-peer', { type: 'boolean', describe: 'copy weights and compiled artefacts from a serving pod of the same version' })
        .option('local-model-cache', { type: 'boolean', describe: 'the node holds the weights on local NVMe' })
        .option('warm-node', { type: 'boolean', describe: 'image, weights (page cache) and compile cache already on the node' })
        .option('weight-dtype', { type: 'string', describe: 'bf16 (default), fp8 or int4' })
        .option('kv-dtype', { type: 'string', describe: 'bf16 (default) or fp8' })
        .option('nodes', { type: 'string', describe: 'nodes per replica (multi-node: --tp is then GPUs per node; docs/multi-node.md)' })
        .option('network', { type: 'string', describe: 'inter-node network with --nodes: infiniband-ndr (default), roce-400g, ethernet-100g' })
        .option('catalog', { type: 'string', describe: 'a catalog file of extra GPUs and models, usable by --gpu/--model (docs/catalog.md)' })
        .option('enforce-eager', { type: 'boolean', describe: "vLLM's --enforce-eager: no CUDA graphs captured" })
        .option('cuda-graphs-in-kv-budget', { type: 'boolean', describe: 'as VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1: graph memory comes out of the KV cache' })
        .option('json', { type: 'boolean' }),
    (argv) => exitWith(async () => (await import('./commands/estimate.js')).estimateCommand(argv as never)),
  )
  .command(
    'demo',
    'run the built-in 70B scenario as a rolling update and as blue-green and write both reports',
    (y) =>
      y
        .option('out', { type: 'string', default: 'out/demo' })
        .option('images', { type: 'string', describe: "also write the README's pictures here (npm run docs:img: docs/img)" }),
    (argv) => exitWith(async () => (await import('./commands/demo.js')).demoCommand(argv as never)),
  )
  .command(
    'compare <scenario>',
    'run a scenario with several strategies or start-up levers (and model sizes) on the same seeds; one table per model size',
    (y) =>
      y
        .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario YAML file' })
        .option('strategies', { type: 'string', describe: 'some of rolling,blue-green,canary,recreate,sleep-wake,flagger' })
        .option('levers', { type: 'string', describe: 'start-up levers beside the scenario as written: some of peers,local-cache,prepull,compile-cache,sleep-wake (a+b: both)' })
        .option('variant', { type: 'string', array: true, describe: 'a named override group, name:path=value;path=value (repeatable)' })
        .option('models', { type: 'string', describe: "e.g. llama-3.1-8b,llama-3.1-70b,llama-3.1-405b (default: the scenario's)" })
        .option('at', { type: 'string', describe: 'start the rollout at each of these times, e.g. 5m,30m (night and the ramp of a scheduled day)' })
        .option('seeds', { type: 'string', default: '1', describe: 'seeds per variant (spec.seed, spec.seed+1, ...), for 95% CIs' })
        .option('threads', { type: 'string', describe: 'worker threads (default: one per core)' })
        .option('set', runOptions.set)
        .option('out', { type: 'string', describe: 'write compare.md, compare.csv, compare.html, compare.json here' })
        .option('json', { type: 'boolean', describe: 'print the comparison as JSON on stdout' }),
    (argv) => exitWith(async () => (await import('./commands/compare.js')).compareCommand(argv as never)),
  )
  .command(
    'check <paths..>',
    "run every scenario's assertions: exit 1 if one is false, 2 if one is invalid",
    (y) =>
      y
        .positional('paths', { type: 'string', array: true, demandOption: true, describe: 'scenario files or folders (searched recursively)' })
        .option('junit', { type: 'string', describe: 'write JUnit XML here (one testcase per assertion)' })
        .options({ seed: runOptions.seed, set: runOptions.set })
        .option('threads', { type: 'string', describe: 'worker threads (default: one per core)' }),
    (argv) => exitWith(async () => (await import('./commands/check.js')).checkCommand(argv as never)),
  )
  .command(
    'preflight <scenario>',
    'will the rollout finish? the controllers, scheduler, quota and autoscaler without traffic; exit 1 when it cannot',
    (y) =>
      y
        .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario YAML file' })
        .options({ seed: runOptions.seed, set: runOptions.set })
        .option('json', { type: 'boolean', describe: 'print the verdict as JSON' }),
    (argv) => exitWith(async () => (await import('./commands/preflight.js')).preflightCommand(argv as never)),
  )
  .command(
    'plan <scenario>',
    'search strategy, surge, drain, probes and headroom for the cheapest rollout that meets the SLO; exit 1 if none does',
    (y) =>
      y
        .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario YAML file (its spec.slo is a constraint)' })
        .option('seeds', { type: 'string', describe: 'seeds per configuration, the same for all (default 3)' })
        .option('budget-gpus', { type: 'string', describe: 'most GPUs the pods may hold at once' })
        .option('max-duration', { type: 'string', describe: 'longest acceptable rollout, e.g. 20m' })
        .option('max-dropped', { type: 'string', describe: 'dropped generations allowed per run (default 0)' })
        .option('max-rejected', { type: 'string', describe: 'rejected requests allowed per run (default 0)' })
        .option('max-spike-ratio', { type: 'string', describe: 'bound on peak-window TTFT p95 / baseline TTFT p95' })
        .option('risk', { type: 'string', describe: 'acceptable per-rollout probability of violating a constraint, e.g. 1% (default 5%)' })
        .option('verify-seeds', { type: 'string', describe: 'fresh seeds the recommendation is re-run on (default 10; 0: no verification)' })
        .option('max-seeds', { type: 'string', describe: 'most seeds one configuration runs while bounding its risk (default 60)' })
        .option('threads', { type: 'string', describe: 'worker threads (default: one per core); the plan does not depend on it' })
        .option('set', runOptions.set)
        .option('json', { type: 'boolean', describe: 'print { recommended, candidates, paretoFront, runs, ... } as JSON' })
        .option('out', { type: 'string', describe: 'write plan.md, plan.html, plan.json, strategy.yaml here' }),
    (argv) => exitWith(async () => (await import('./commands/plan.js')).planCommand(argv as never)),
  )
  .command(
    'sweep <spec>',
    'run a sweep (scenario × grid of overrides × seeds), or one shard of it; writes results-<i>.jsonl',
    (y) =>
      y
        .positional('spec', { type: 'string', demandOption: true, describe: 'sweep YAML file (kind: Sweep)' })
        .option('shard', { type: 'string', describe: 'i/N: run every N-th run from i; /N takes i from JOB_COMPLETION_INDEX' })
        .option('out', { type: 'string', describe: 'output folder (default out/sweeps/<name>)' })
        .option('threads', { type: 'string', describe: 'worker threads (default: one per core)' }),
    (argv) => exitWith(async () => (await import('./commands/sweep.js')).sweepCommand(argv as never)),
  )
  .command(
    'merge <files..>',
    "merge the shards' results-<i>.jsonl into the reports of the whole sweep",
    (y) =>
      y
        .positional('files', { type: 'string', array: true, demandOption: true, describe: 'results-<i>.jsonl of every shard' })
        .option('out', { type: 'string', describe: 'output folder (default out/sweeps/<name>)' }),
    (argv) => exitWith(async () => (await import('./commands/merge.js')).mergeCommand(argv as never)),
  )
  .command(
    'calibrate <files..>',
    "fit a calibration file from a team's own data: vllm bench / GuideLLM results, /metrics text, vLLM logs, kubectl events",
    (y) =>
      y
        .positional('files', { type: 'string', array: true, demandOption: true, describe: 'input files (format told from content; docs/calibration.md)' })
        .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'calibration file to write, e.g. my-fleet.calibration.yaml' })
        .option('gpu', { type: 'string', describe: 'catalog GPU the benchmarks ran on (required with benchmark results)' })
        .option('model', { type: 'string', describe: "catalog model (default: from the benchmark's model_id)" })
        .option('tp', { type: 'string', describe: 'tensor-parallel GPUs per replica (default 1)' })
        .option('weight-dtype', { type: 'string', describe: 'bf16 (default), fp8 or int4' })
        .option('kv-dtype', { type: 'string', describe: 'bf16 (default) or fp8' })
        .option('max-num-seqs', { type: 'string', describe: "the benchmarked server's --max-num-seqs (default: vLLM's, 1024 on ≥70 GiB GPUs but A100, else 256)" })
        .option('max-num-batched-tokens', { type: 'string', describe: "the benchmarked server's --max-num-batched-tokens (default: vLLM's, 8192 or 2048 likewise)" })
        .option('kv-blocks', { type: 'string', describe: 'KV blocks (default: from the logs, else the memory estimate)' })
        .option('block-size', { type: 'string', describe: 'KV block size in tokens (default 16)' })
        .option('fit-share', { type: 'string', describe: "share of each run (first in send order) the fit sees; the rest is backtest's (default 50%)" })
        .option('merge', { type: 'boolean', describe: 'add to the --out file if it exists: replace only what is fitted again (another GPU, model or TP is kept)' }),
    (argv) => exitWith(async () => (await import('./commands/calibrate.js')).calibrateCommand(argv as never)),
  )
  .command(
    'backtest <calibration>',
    'replay the calibration data through the simulator on data the fit did not see; print the error table; exit 1 beyond --tolerance',
    (y) =>
      y
        .positional('calibration', { type: 'string', demandOption: true, describe: 'calibration file' })
        .option('data', { type: 'string', array: true, describe: "held-out input files (default: the held-out part of the calibration's own runs)" })
        .option('tolerance', { type: 'string', array: true, describe: 'largest |error| allowed: 10% (every mean), per metric ttft=20% startup=15%, tails p95=30% or ttft.p95=30%' })
        .option('scenario', { type: 'string', describe: 'a scenario of the rollout, run with the calibration, to compare rollout durations' })
        .option('json', { type: 'boolean', describe: 'print the table as JSON' })
        .option('out', { type: 'string', describe: 'write backtest.md and backtest.json here' }),
    (argv) => exitWith(async () => (await import('./commands/backtest.js')).backtestCommand(argv as never)),
  )
  .demandCommand(1, 'name a command: run, validate, schema, estimate, demo, compare, check, plan, sweep, merge, calibrate, backtest')
  .strict()
  .fail((message, err) => {
    if (err) throw err;
    process.stderr.write(`error: ${message}\nrun \`rollout-sim --help\` for the commands and options\n`);
    process.exit(EXIT_BAD_INPUT);
  })
  .version(version)
  .help()
  .parseAsync();
