import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { accuracyTable, type AccuracyTable } from '../../sim/serving/accuracy/table.js';
import { inFitHalf } from '../../sim/serving/accuracy/rows.js';
import { isHeldOut } from '../../sim/serving/accuracy/vidur.js';
import { sharedData } from '../shared-data.js';

const COMMITTED = resolve(fileURLToPath(new URL('../..', import.meta.url)), 'docs/accuracy.json');

/** A median error may not grow by more than 2 points and 10 % relative (both) against the committed table. */
function regressions(current: AccuracyTable, committed: AccuracyTable): string[] {
  const out: string[] = [];
  for (const before of committed.cells) {
    const now = current.cells.find((c) => c.dataset === before.dataset && c.gpu === before.gpu && c.split === before.split);
    if (now === undefined) {
      out.push(`${before.dataset} ${before.gpu} ${before.split}: missing`);
      continue;
    }
    const grew = now.medianAbsError - before.medianAbsError;
    if (grew > 0.02 && now.medianAbsError > before.medianAbsError * 1.1) {
      out.push(`${before.dataset} ${before.gpu} ${before.split}: median |err| ${(100 * before.medianAbsError).toFixed(1)} % → ${(100 * now.medianAbsError).toFixed(1)} %`);
    }
  }
  return out;
}

describe('step-time accuracy table (docs/accuracy.md)', () => {
  it('no median error grew by more than 2 points and 10 % against docs/accuracy.json', () => {
    const committed = JSON.parse(readFileSync(COMMITTED, 'utf8')) as AccuracyTable;
    const current = accuracyTable(sharedData(''));
    expect(current.cells.length).toBe(committed.cells.length);
    expect(regressions(current, committed)).toEqual([]);
  });

  it('the check can fail: a worse table is caught, a small drift is not', () => {
    const committed = JSON.parse(readFileSync(COMMITTED, 'utf8')) as AccuracyTable;
    const worse = { cells: committed.cells.map((c, i) => (i === 0 ? { ...c, medianAbsError: c.medianAbsError + 0.05 } : c)) };
    expect(regressions(worse, committed)).toHaveLength(1);
    const drift = { cells: committed.cells.map((c) => ({ ...c, medianAbsError: c.medianAbsError + 0.015 })) };
    expect(regressions(drift, committed)).toEqual([]);
  });

  it('splits rows by a fixed hash and never reads the held-out Vidur files', () => {
    expect(inFitHalf('vidur/a100/x/tp1/1/qkv')).toBe(inFitHalf('vidur/a100/x/tp1/1/qkv'));
    const keys = Array.from({ length: 1000 }, (_, i) => `row${i}`);
    const fit = keys.filter(inFitHalf).length;
    expect(fit).toBeGreaterThan(400);
    expect(fit).toBeLessThan(600);
    expect(isHeldOut('/v', '/v/compute/h100/meta-llama/Llama-2-70b-hf/mlp.csv')).toBe(true);
    expect(isHeldOut('/v', '/v/network/h100_dgx/all_reduce.csv')).toBe(true);
    expect(isHeldOut('/v', '/v/compute/a100/meta-llama/Llama-2-70b-hf/mlp.csv')).toBe(false);
  });
});
