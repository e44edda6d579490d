import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import type { RunSpec, StableOutcome, StableSummary } from './run-spec.js';
import type { Sweep, SweepRun } from './sweep-spec.js';

/**
 * One line of results-<i>.jsonl: a run's outcome (wall time removed) with its place in the sweep. The spec
 * names the scenario as the sweep file wrote it, so shards written on different machines merge byte for byte.
 */
export interface SweepRecord {
  readonly sweep: string;
  /** Runs in the whole sweep: merge checks that every one of them is present once. */
  readonly runs: number;
  readonly index: number;
  readonly spec: RunSpec;
  readonly summary: StableSummary | null;
  readonly error?: string;
}

export function sweepRecord(sweep: Sweep, run: SweepRun, outcome: StableOutcome): SweepRecord {
  return {
    sweep: sweep.name,
    runs: sweep.runs.length,
    index: run.index,
    spec: { ...outcome.spec, file: sweep.scenario },
    summary: outcome.summary,
    ...(outcome.error !== undefined ? { error: outcome.error } : {}),
  };
}

export const resultsFileName = (shardIndex: number): string => `results-${shardIndex}.jsonl`;
export const MERGED_RESULTS_FILE = 'results.jsonl';

/**
 * Each line ends with `"digest":"sha256:…"` of the record's JSON before it, so merge refuses a shard whose summary
 * or spec was edited by hand instead of tabulating it as if the simulator had produced it. It guards against
 * accidents and casual edits, not an adversary (anyone can recompute it).
 */
export function formatRecords(records: readonly SweepRecord[]): string {
  return records.map((r) => `${JSON.stringify({ ...r, digest: recordDigest(r) })}\n`).join('');
}

const DIGEST_PREFIX = 'sha256:';

function recordDigest(record: SweepRecord): string {
  return DIGEST_PREFIX + createHash('sha256').update(JSON.stringify(record)).digest('hex');
}

/** Reads a results file; a line that is not a record is bad input naming the file and line. */
export function parseRecords(text: string, source: string): SweepRecord[] {
  const records: SweepRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new InputError(`line ${i + 1} is not JSON`, source);
    }
    if (!isRecord(value)) throw new InputError(`line ${i + 1} is not a sweep result (expected sweep, runs, index, spec, summary)`, source);
    records.push(checkedDigest(value, `line ${i + 1}`, source));
  });
  return records;
}

/** The record without its digest, after checking that the digest matches what the line says. */
function checkedDigest(value: SweepRecord & { digest?: unknown }, line: string, source: string): SweepRecord {
  const { digest, ...record } = value;
  if (typeof digest !== 'string') {
    throw new InputError(`${line} (run ${record.index}) has no digest; results files are written by \`rollout-sim sweep\`, not by hand`, source);
  }
  if (digest !== recordDigest(record)) {
    throw new InputError(
      `${line} (run ${record.index}) does not match its digest: the record was edited after the sweep wrote it; run that shard again`,
      source,
    );
  }
  return record;
}

function isRecord(v: unknown): v is SweepRecord {
  if (v === null || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.sweep === 'string' &&
    Number.isSafeInteger(r.runs) &&
    Number.isSafeInteger(r.index) &&
    (r.index as number) >= 0 &&
    r.spec !== null &&
    typeof r.spec === 'object' &&
    (r.summary === null || typeof r.summary === 'object')
  );
}

/**
 * The shards' records as one sweep, in run order. They must come from one sweep and cover every run exactly
 * once: a missing shard or a shard merged twice is bad input, never a silently smaller table.
 */
export function mergeRecords(shards: readonly (readonly SweepRecord[])[]): SweepRecord[] {
  const all = shards.flat();
  if (all.length === 0) throw new InputError('no results to merge (the files are empty)');
  const { sweep, runs } = all[0];
  const byIndex = new Map<number, SweepRecord>();
  for (const r of all) {
    if (r.sweep !== sweep || r.runs !== runs) {
      throw new InputError(`results of different sweeps: "${sweep}" (${runs} runs) and "${r.sweep}" (${r.runs} runs)`);
    }
    if (r.index >= runs) throw new InputError(`run index ${r.index} is outside the sweep's ${runs} runs`);
    if (byIndex.has(r.index)) throw new InputError(`run ${r.index} appears twice; was a shard merged twice?`);
    byIndex.set(r.index, r);
  }
  const missing = Array.from({ length: runs }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    const shown = missing.slice(0, 10).join(', ') + (missing.length > 10 ? `, … (${missing.length} in all)` : '');
    throw new InputError(`runs ${shown} of "${sweep}" are missing; merge the results of every shard`);
  }
  return [...byIndex.keys()].sort((a, b) => a - b).map((i) => byIndex.get(i) as SweepRecord);
}
