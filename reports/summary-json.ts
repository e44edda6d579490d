import type { RunResult } from '../sim/run/result.js';
import { SUMMARY_KEYS, type KeyNode } from '../sim/metrics/summary-keys.js';
import { writeFileAtomic } from './atomic-write.js';

/**
 * Copies `value` with its keys in `order`; keys the order does not know (the contract allows additions)
 * follow in sorted order, as do all keys of data-keyed records, so the output never depends on the order in
 * which the run happened to build its objects.
 */
function ordered(value: unknown, order: KeyNode): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || order === true) return value;
  const source = value as Record<string, unknown>;
  const known = order === 'sorted' ? [] : Object.keys(order).filter((key) => key in source);
  const extra = Object.keys(source)
    .filter((key) => !known.includes(key))
    .sort();
  const copy: Record<string, unknown> = {};
  for (const key of [...known, ...extra]) {
    const childOrder = order !== 'sorted' && key in order ? order[key] : 'sorted';
    copy[key] = ordered(source[key], childOrder);
  }
  return copy;
}

/** summary.json: the Summary contract, keys in a stable order, 2-space indent, trailing newline. */
export function renderSummaryJson(result: RunResult): string {
  return `${JSON.stringify(ordered(result.summary, SUMMARY_KEYS), null, 2)}\n`;
}

export function writeSummaryJson(path: string, result: RunResult): void {
  writeFileAtomic(path, renderSummaryJson(result));
}
