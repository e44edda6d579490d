#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { demoCommand } from './commands/demo.js';
import { estimateCommand } from './commands/estimate.js';
import { runCommand } from './commands/run.js';
import { schemaCommand, validateCommand } from './commands/validate.js';
import { EXIT_BAD_INPUT, reportError } from './exit-codes.js';

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
        .option('svg', { type: 'boolean', default: true, describe: 'render the charts as SVG files too (--no-svg to skip)' }),
    (argv) => exitWith(() => runCommand(argv as never)),
  )
  .command(
    'validate <scenario>',
    'check a scenario file and print its hash',
    (y) => y.positional('scenario', { type: 'string', demandOption: true }).options({ set: runOptions.set }),
    (argv) => exitWith(() => validateCommand(argv as never)),
  )
  .command('schema', 'print the JSON Schema of scenario files (for editors)', {}, () => exitWith(schemaCommand))
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
        .option('compile-cache', { type: 'string', describe: 'none, shared or perNode' })
        .option('weight-dtype', { type: 'string', describe: 'bf16 (default), fp8 or int4' })
        .option('kv-dtype', { type: 'string', describe: 'bf16 (default) or fp8' })
        .option('json', { type: 'boolean' }),
    (argv) => exitWith(() => estimateCommand(argv as never)),
  )
  .command(
    'demo',
    'run the built-in 70B scenario as a rolling update and as blue-green and write both reports',
    (y) => y.option('out', { type: 'string', default: 'out/demo' }),
    (argv) => exitWith(() => demoCommand(argv as never)),
  )
  .demandCommand(1, 'name a command: run, validate, schema, estimate, demo')
  .strict()
  .fail((message, err) => {
    if (err) throw err;
    process.stderr.write(`error: ${message}\nrun \`rollout-sim --help\` for the commands and options\n`);
    process.exit(EXIT_BAD_INPUT);
  })
  .help()
  .parseAsync();
