import { writeIntoSharedFolder } from '../../../reports/atomic-write.js';
import { renderSweepMarkdown, sweepReportFiles } from '../../../reports/sweep.js';
import { formatRecords, mergeRecords, MERGED_RESULTS_FILE, parseRecords } from '../../batch/sweep-records.js';
import { sweepTable } from '../../batch/sweep-table.js';
import { InputError } from '../../errors.js';
import { EXIT_OK } from '../exit-codes.js';
import { toStringList } from '../options.js';
import { defaultSweepFolder } from './sweep.js';
import { INPUT_LIMITS, readInputFile } from '../../config/input-file.js';

export interface MergeArgs {
  files: unknown;
  out?: string;
}

/**
 * Merges the shards' results into the reports an unsharded sweep writes (sweep.md, sweep.csv) and the whole
 * results.jsonl, byte for byte the same; prints the table.
 */
export function mergeCommand(args: MergeArgs): number {
  const files = toStringList(args.files);
  if (files.length === 0) throw new InputError('name the results-<i>.jsonl files of every shard', 'merge');
  const records = mergeRecords(files.map((file) => parseRecords(readText(file), file)));
  const table = sweepTable(records);
  const out = args.out ?? defaultSweepFolder(table.sweep);
  const outputs = { [MERGED_RESULTS_FILE]: formatRecords(records), ...sweepReportFiles(table) };
  // The merged reports go beside the shards' results files, often in the folder they were merged from.
  writeIntoSharedFolder(out, outputs);
  const from = `${files.length} file${files.length === 1 ? '' : 's'}`;
  process.stderr.write(`merge: ${records.length} runs from ${from}; wrote ${out}/ (${Object.keys(outputs).join(', ')})\n`);
  process.stdout.write(renderSweepMarkdown(table));
  return EXIT_OK;
}

function readText(file: string): string {
  return readInputFile(file, { what: 'results file', maxBytes: INPUT_LIMITS.results });
}
