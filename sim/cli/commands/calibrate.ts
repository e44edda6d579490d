import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from '../../../reports/atomic-write.js';
import { calibrate } from '../../calibrate/calibrate.js';
import { mergeCalibrations } from '../../calibrate/merge.js';
import { loadCalibrationInput, zCalibrationFile } from '../../config/calibration-file.js';
import { InputError, InternalError } from '../../errors.js';
import { parseKvDtype, parsePositiveInt, parseWeightDtype, toStringList } from '../options.js';

export interface CalibrateArgs {
  files: unknown;
  out: string;
  gpu?: string;
  model?: string;
  tp?: unknown;
  'weight-dtype'?: string;
  'kv-dtype'?: string;
  'max-num-seqs'?: unknown;
  'max-num-batched-tokens'?: unknown;
  'kv-blocks'?: unknown;
  'block-size'?: unknown;
  'fit-share'?: unknown;
  merge?: boolean;
}

/** Fits a calibration file from a team's own data and writes it as YAML; prints what was fitted. */
export function calibrateCommand(args: CalibrateArgs): number {
  const outDir = dirname(resolve(args.out));
  const fitted = calibrate({
    files: toStringList(args.files),
    gpu: args.gpu,
    model: args.model,
    tensorParallel: parsePositiveInt(args.tp, '--tp'),
    weightDtype: parseWeightDtype(args['weight-dtype']),
    kvDtype: parseKvDtype(args['kv-dtype']),
    maxNumSeqs: parsePositiveInt(args['max-num-seqs'], '--max-num-seqs'),
    maxNumBatchedTokens: parsePositiveInt(args['max-num-batched-tokens'], '--max-num-batched-tokens'),
    kvBlocks: parsePositiveInt(args['kv-blocks'], '--kv-blocks'),
    blockSize: parsePositiveInt(args['block-size'], '--block-size'),
    fitShare: parseShare(args['fit-share']),
    outDir,
  });
  const document = args.merge && existsSync(args.out) ? mergeCalibrations(loadCalibrationInput(args.out, '--out'), fitted) : fitted;
  // What is written must load back: a bug here would only show in a later scenario run.
  const checked = zCalibrationFile.safeParse(document);
  if (!checked.success) throw new InternalError(`calibrate wrote an invalid calibration file: ${checked.error.message}`);
  const header = '# rollout-sim calibration (docs/calibration.md): written by `rollout-sim calibrate`; name it in a scenario as spec.calibration\n';
  writeFileAtomic(args.out, header + stringify(document, { lineWidth: 0 }));
  for (const s of checked.data.serving) {
    const r = s.roofline;
    process.stdout.write(
      `${s.model} TP${s.tensorParallel} on ${s.gpu}: hbmEfficiency ${r.hbmEfficiency.toFixed(3)}, matmulEfficiency ${r.matmulEfficiency.toFixed(3)}, stepOverhead ${(r.stepOverheadSec * 1000).toFixed(3)} ms ` +
        `(fit on ${s.fit.fitRequests} requests, ${s.fit.heldOutRequests} held out; mean errors TTFT ${pct(s.fit.errors.ttftMean)}, TPOT ${pct(s.fit.errors.tpotMean)}, E2E ${pct(s.fit.errors.e2eMean)})\n`,
    );
  }
  for (const [phase, p] of Object.entries(checked.data.startup.phases)) {
    process.stdout.write(`start-up ${phase}: mean ${p.mean.toFixed(1)} s over ${p.samples.length} samples (KS distance ${p.ksDistance.toFixed(2)})\n`);
  }
  for (const r of checked.data.startup.rollouts) process.stdout.write(`rollout ${r.source}: ${r.durationSeconds.toFixed(0)} s, ${r.pods} pods\n`);
  process.stdout.write(`wrote ${args.out}\n`);
  return 0;
}

function pct(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
}

/** A share as 0.5 or 50%. */
export function parseShare(value: unknown, flag = '--fit-share'): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const n = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  if (!(n > 0 && n <= 1) || text === '') throw new InputError({ expected: 'a share in (0, 1], e.g. 0.5 or 50%', got: JSON.stringify(String(value)) }, flag);
  return n;
}
