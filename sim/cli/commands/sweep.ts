import { join } from 'node:path';
import { writeIntoSharedFolder } from '../../../reports/atomic-write.js';
import { renderSweepMarkdown, sweepReportFiles } from '../../../reports/sweep.js';
import { runMany } from '../../batch/run-many.js';
import { withoutWallTime } from '../../batch/run-spec.js';
import { formatRecords, resultsFileName, sweepRecord } from '../../batch/sweep-records.js';
import { loadSweepFile, sweepRunSpec, validateSweepPoints } from '../../batch/sweep-spec.js';
import { sweepTable } from '../../batch/sweep-table.js';
import { parseShard, shardOf } from '../../batch/shard.js';
import { EXIT_BAD_INPUT, EXIT_OK } from '../exit-codes.js';
import { parsePositiveInt } from '../options.js';
import { startProgress } from '../progress.js';

export interface SweepArgs {
  spec: string;
  shard?: string;
  out?: string;
  threads?: unknown;
}

export const defaultSweepFolder = (name: string): string => join('out', 'sweeps', name);

/**
 * Runs one shard of a sweep and writes its results-<i>.jsonl; the whole sweep (no --shard, or 0/1) also writes
 * the reports merge would build (sweep.md, sweep.csv) and prints the table. Exits 2 when a run was bad input.
 */
export async function sweepCommand(args: SweepArgs): Promise<number> {
  const sweep = loadSweepFile(args.spec);
  const shard = parseShard(args.shard, process.env);
  validateSweepPoints(sweep);
  const runs = shardOf(sweep.runs, shard);
  const out = args.out ?? defaultSweepFolder(sweep.name);
  const started = Date.now();
  const progress = startProgress(`sweep ${shard.index}/${shard.count}`, runs.length);
  const outcomes = await runMany(
    runs.map((run) => sweepRunSpec(sweep, run)),
    { threads: parsePositiveInt(args.threads, '--threads'), onProgress: (done) => progress.update(done) },
  );
  progress.finish();
  process.stderr.write(`sweep: ${runs.length} of ${sweep.runs.length} runs in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const records = runs.map((run, i) => sweepRecord(sweep, run, withoutWallTime(outcomes[i])));
  const files: Record<string, string> = { [resultsFileName(shard.index)]: formatRecords(records) };
  const whole = shard.count === 1;
  if (whole) Object.assign(files, sweepReportFiles(sweepTable(records)));
  // Every shard writes its own results file into one folder, often a volume the shards share.
  writeIntoSharedFolder(out, files);
  process.stderr.write(`wrote ${out}/ (${Object.keys(files).join(', ')})\n`);
  if (whole) process.stdout.write(renderSweepMarkdown(sweepTable(records)));
  const failed = records.filter((r) => r.error !== undefined);
  for (const r of failed) process.stderr.write(`error: run ${r.index} (seed ${r.spec.seed}): ${r.error}\n`);
  return failed.length > 0 ? EXIT_BAD_INPUT : EXIT_OK;
}
