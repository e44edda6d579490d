import { describe, expect, it } from 'vitest';
import { keyFiguresTable } from '../../reports/summary-table.js';
import { syntheticRunResult } from './fixture.js';

const row = (table: { rows: string[][] }, name: string) => table.rows.find((r) => r[0] === name)?.[1] ?? '';

describe('the verdict in the key figures (Markdown and HTML reports)', () => {
  it('names the blocker, the verified fix and the fewest extra GPUs of a stalled rollout', () => {
    const result = syntheticRunResult();
    result.summary.rollout = { ...result.summary.rollout, outcome: 'stalled', blockedBy: 'quota', fix: 'raise the quota' };
    result.summary.capacity = { ...result.summary.capacity, minExtraGpus: 2 };
    const table = keyFiguresTable(result);
    expect(row(table, 'Rollout')).toContain('blocked by quota · fix (verified): raise the quota');
    expect(row(table, 'Capacity')).toContain('2 more GPUs would let the rollout finish');
  });

  it('says nothing of blockers for a rollout that was not blocked', () => {
    const result = syntheticRunResult();
    result.summary.rollout = { ...result.summary.rollout, blockedBy: 'none', fix: null };
    result.summary.capacity = { ...result.summary.capacity, minExtraGpus: null };
    const table = keyFiguresTable(result);
    expect(row(table, 'Rollout')).not.toContain('blocked');
    expect(row(table, 'Capacity')).not.toContain('more GPUs');
  });
});
