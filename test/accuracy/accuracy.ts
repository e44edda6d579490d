/**
 * `npm run accuracy`: predicts every public reference the model can be held against and writes docs/accuracy.md
 * and docs/accuracy.json (the table test/serving/accuracy.test.ts recomputes and compares). It fits nothing.
 * `npm run accuracy -- --fit` prints the least-squares fit of the GPU efficiencies, kernel latency and
 * all-reduce constants on the fit half of each dataset, the values gpus.ts and roofline.ts carry.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { accuracyTable, formatAccuracyMarkdown } from '../../sim/serving/accuracy/table.js';
import { loadVidurAllReduces, loadVidurGemms, loadVidurSendRecvs, predictGemm } from '../../sim/serving/accuracy/vidur.js';
import { NODE_NETWORKS, sendRecvSeconds, type NodeNetwork } from '../../sim/serving/step-time/multi-node.js';
import { allReduceSeconds } from '../../sim/serving/step-time/roofline.js';

const REPO = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const SHARED = resolve(REPO, '../shared/data');

if (process.argv.includes('--fit')) fit();
else {
  const table = accuracyTable(SHARED);
  writeFileSync(resolve(REPO, 'docs/accuracy.json'), `${JSON.stringify(table, null, 2)}\n`);
  writeFileSync(resolve(REPO, 'docs/accuracy.md'), formatAccuracyMarkdown(table));
  process.stdout.write(formatAccuracyMarkdown(table));
}

/** Mean squared log error, minimised one coordinate at a time over a shrinking grid. */
function descend(start: number[], bounds: readonly (readonly [number, number])[], loss: (x: number[]) => number): number[] {
  const x = [...start];
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < x.length; i++) {
      const [lo, hi] = bounds[i];
      const span = (hi - lo) / 2 ** round;
      let best = x[i];
      let bestLoss = loss(x);
      for (let k = 0; k <= 40; k++) {
        const v = Math.min(hi, Math.max(lo, best - span / 2 + (span * k) / 40));
        const trial = [...x];
        trial[i] = v;
        const l = loss(trial);
        if (l < bestLoss) {
          bestLoss = l;
          x[i] = v;
        }
      }
      best = x[i];
    }
  }
  return x;
}

function msle(pairs: readonly [number, number][]): number {
  let s = 0;
  for (const [p, m] of pairs) s += Math.log(p / m) ** 2;
  return s / pairs.length;
}

function fit(): void {
  const gemms = loadVidurGemms(resolve(SHARED, 'calibration/vidur')).filter((p) => p.fit);
  const gpus = [...new Set(gemms.map((p) => p.gpu))];
  // Per GPU (matmul, hbm), one kernel latency for all.
  const loss = (x: number[]) => {
    let s = 0;
    for (let g = 0; g < gpus.length; g++) {
      const eff = { matmul: x[1 + 2 * g], hbm: x[2 + 2 * g] };
      s += msle(gemms.filter((p) => p.gpu === gpus[g]).map((p) => [predictGemm(p, eff, x[0]), p.measuredSec]));
    }
    return s;
  };
  const start = [3e-6, ...gpus.flatMap(() => [0.6, 0.8])];
  const bounds = [[0, 2e-5] as const, ...gpus.flatMap(() => [[0.3, 1] as const, [0.4, 1] as const])];
  const x = descend(start, bounds, loss);
  console.log(`kernelLatencySec ${x[0].toExponential(2)}`);
  gpus.forEach((g, i) => console.log(`${g}: matmul ${x[1 + 2 * i].toFixed(3)}, hbm ${x[2 + 2 * i].toFixed(3)}`));

  const reduces = loadVidurAllReduces(resolve(SHARED, 'calibration/vidur')).filter((p) => p.fit);
  for (const kind of ['nvlink', 'pcie'] as const) {
    const points = reduces.filter((p) => p.kind === kind);
    const arLoss = (y: number[]) =>
      msle(points.map((p) => [allReduceSeconds(p.bytes, p.tp, p.linkBytesPerSec, kind, { allReduceEfficiency: { nvlink: y[0], pcie: y[0] }, allReduceStepLatencySec: { nvlink: y[1], pcie: y[1] } }), p.measuredSec]));
    const y = descend([0.5, 10e-6], [[0.05, 1], [0, 1e-4]], arLoss);
    console.log(`all-reduce ${kind}: efficiency ${y[0].toFixed(3)}, step latency ${y[1].toExponential(2)} s (${points.length} rows)`);
  }

  const hops = loadVidurSendRecvs(resolve(SHARED, 'calibration/vidur')).filter((p) => p.fit);
  const ndr = NODE_NETWORKS.get('infiniband-ndr') as NodeNetwork;
  const hopLoss = (y: number[]) => msle(hops.map((p) => [sendRecvSeconds(p.bytes, { ...ndr, sendRecvEfficiency: y[0], sendRecvLatencySec: y[1] }), p.measuredSec]));
  const h = descend([0.7, 10e-6], [[0.1, 1], [0, 1e-4]], hopLoss);
  console.log(`cross-node send/recv (infiniband-ndr): efficiency ${h[0].toFixed(3)}, latency ${h[1].toExponential(2)} s (${hops.length} rows)`);
}
