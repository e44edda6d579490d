/** One measured reference point against the model's prediction. */
export interface AccuracyRow {
  /** The reference it comes from, e.g. "vidur GEMMs". */
  readonly dataset: string;
  readonly gpu: string;
  /** Says which point it is (model, TP, size), and picks its split. */
  readonly key: string;
  /** In the fit half (defaults may be fitted on it) or held out. */
  readonly fit: boolean;
  readonly measuredSec: number;
  readonly predictedSec: number;
}

/** Error statistics of one dataset × GPU × split. Errors are predicted / measured − 1. */
export interface AccuracyCell {
  readonly dataset: string;
  readonly gpu: string;
  readonly split: 'fit' | 'held-out';
  readonly rows: number;
  readonly medianAbsError: number;
  readonly p90AbsError: number;
  /** Median signed error: > 0 the model reads slow, < 0 fast. */
  readonly bias: number;
}

/**
 * The fixed split: FNV-1a hash of the row's key, even → fit, odd → held out. A hash rather than a random draw, so
 * a row's side never changes between runs or when other rows are added.
 */
export function inFitHalf(key: string): boolean {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 2 === 0;
}

export function summariseRows(rows: readonly AccuracyRow[]): AccuracyCell[] {
  const groups = new Map<string, AccuracyRow[]>();
  for (const row of rows) {
    const id = `${row.dataset}\u0000${row.gpu}\u0000${row.fit ? 'fit' : 'held-out'}`;
    const group = groups.get(id);
    if (group === undefined) groups.set(id, [row]);
    else group.push(row);
  }
  const cells: AccuracyCell[] = [];
  for (const [id, group] of groups) {
    const [dataset, gpu, split] = id.split('\u0000') as [string, string, AccuracyCell['split']];
    const errors = group.map((r) => r.predictedSec / r.measuredSec - 1);
    const abs = errors.map(Math.abs).sort((a, b) => a - b);
    cells.push({ dataset, gpu, split, rows: group.length, medianAbsError: quantile(abs, 0.5), p90AbsError: quantile(abs, 0.9), bias: quantile(errors.sort((a, b) => a - b), 0.5) });
  }
  return cells.sort((a, b) => a.dataset.localeCompare(b.dataset) || a.gpu.localeCompare(b.gpu) || a.split.localeCompare(b.split));
}

/** Linear interpolation between order statistics (type 7, numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
