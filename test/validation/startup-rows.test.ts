/**
 * The start-up model against the measured start-ups of startup-and-drain.md (sim/cluster/startup-evidence.ts):
 * totals, process start → serving with the image present, and weight-load phases alone. Rows are split once:
 * `fit` rows set the defaults, `heldBack` rows did not; the errors of each part are printed per class (size,
 * source, cache state) and copied into docs/validation.md §3.
 */
import { describe, expect, it } from 'vitest';
import { estimateStartup } from '../../sim/cluster/estimate.js';
import { makeProbe } from '../../sim/cluster/probes.js';
import { MEASURED_LOADS, MEASURED_STARTUPS, type MeasuredStartup } from '../../sim/cluster/startup-evidence.js';
import { resolveStartup } from '../../sim/cluster/startup-spec.js';
import { DEFAULT_STORE_LIMITS, hubRequests, stepSecondsAlone } from '../../sim/cluster/storage.js';

const readiness = { readiness: makeProbe('health'), liveness: null, startup: null };

/** Signed error against a measured point or range: 0 inside the range, else relative to its nearer end. */
function errorAgainst(predicted: number, [lo, hi]: readonly [number, number]): number {
  if (predicted < lo) return predicted / lo - 1;
  if (predicted > hi) return predicted / hi - 1;
  return 0;
}

function predictedTotal(row: MeasuredStartup): number {
  const startup = resolveStartup({ weightSource: row.source, compileCache: row.compileCache }, row.model, row.tensorParallel);
  return estimateStartup({ model: row.model, tensorParallel: row.tensorParallel, startup, probes: readiness, node: { hasImage: true, ...row.warm } })
    .timeToServableSeconds;
}

const cacheState = (row: MeasuredStartup) => (row.warm.weightsLoaded ? 'warm node' : row.warm.compileCached ? 'compile cache' : 'cold');
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const worst = (xs: readonly number[]) => xs.reduce((w, e) => (Math.abs(e) > Math.abs(w) ? e : w), 0);

function report(label: string, rows: ReadonlyArray<{ key: Record<string, string>; error: number }>): void {
  for (const dim of Object.keys(rows[0]?.key ?? {})) {
    const groups = new Map<string, number[]>();
    for (const r of rows) groups.set(r.key[dim], [...(groups.get(r.key[dim]) ?? []), r.error]);
    for (const [name, errors] of groups) {
      console.log(`${label} ${dim} ${name}: n=${errors.length}, median |err| ${pct(median(errors.map(Math.abs)))}, worst ${pct(worst(errors))}`);
    }
  }
  const all = rows.map((r) => r.error);
  console.log(`${label} all: n=${all.length}, median |err| ${pct(median(all.map(Math.abs)))}, worst ${pct(worst(all))}`);
}

describe('start-up totals against the measured rows (process start → serving)', () => {
  const results = MEASURED_STARTUPS.map((row) => {
    const predicted = predictedTotal(row);
    return { row, predicted, error: errorAgainst(predicted, row.measured) };
  });

  it.each(results.map((r, i) => [r.row.id, r.row.split, i] as const))('%s (%s) within 15 %% of the measured total', (_id, _split, i) => {
    const r = results[i];
    const [lo, hi] = r.row.measured;
    console.log(`${r.row.id} [${r.row.split}] ${r.row.what}: predicted ${r.predicted.toFixed(1)} s, measured ${lo === hi ? lo : `${lo}–${hi}`} s → ${pct(r.error)}`);
    expect(Math.abs(r.error)).toBeLessThan(0.15);
  });

  it('prints median and worst error per class, fitted and held-back rows apart', () => {
    for (const split of ['fit', 'heldBack'] as const) {
      const rows = results.filter((r) => r.row.split === split).map((r) => ({ key: { size: r.row.sizeClass, source: r.row.source, cache: cacheState(r.row) }, error: r.error }));
      expect(rows.length).toBeGreaterThanOrEqual(3);
      report(`totals ${split}`, rows);
    }
  });
});

describe('weight-load phases against the measured rows', () => {
  const results = MEASURED_LOADS.map((row) => {
    const limits = DEFAULT_STORE_LIMITS[row.source];
    const step =
      row.source === 'hub'
        ? { source: row.source, readers: 1, bytesPerReader: row.weightBytes, requests: hubRequests(row.weightBytes) }
        : { source: row.source, readers: row.tensorParallel, bytesPerReader: row.weightBytes / row.tensorParallel, requests: 0 };
    const predicted = stepSecondsAlone(step, limits);
    return { row, predicted, error: errorAgainst(predicted, row.seconds) };
  });

  /**
   * Allowed: fitted rows within 15 %; held-back rows within 50 % — they are other machines (the 13B disk reads
   * 1.6–1.8 GB/s against TGI's 2.8) and reads right after a download ran slower than a second load.
   */
  it('fitted rows within 15 %, held-back rows within 50 %', () => {
    for (const r of results) {
      console.log(`${r.row.id} [${r.row.split}] ${r.row.what}: predicted ${r.predicted.toFixed(1)} s, measured ${r.row.seconds.join('–')} s → ${pct(r.error)}`);
      expect(Math.abs(r.error)).toBeLessThan(r.row.split === 'fit' ? 0.15 : 0.5);
    }
    for (const split of ['fit', 'heldBack'] as const) {
      report(`loads ${split}`, results.filter((r) => r.row.split === split).map((r) => ({ key: { source: r.row.source }, error: r.error })));
    }
  });

  it('a local disk does not read faster with more ranks (13B: 16.0 s at TP1, 14.4 s at TP2)', () => {
    const tp1 = results.find((r) => r.row.id === 'r27 TP1')?.predicted as number;
    const tp2 = results.find((r) => r.row.id === 'r27 TP2')?.predicted as number;
    // measured ratio 0.9; a per-rank disk would halve the time
    expect(tp2 / tp1).toBeGreaterThan(0.7);
    expect(tp2).toBeLessThanOrEqual(tp1);
  });
});
