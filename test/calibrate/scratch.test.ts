import { test } from 'vitest';
import { fitServing } from '../../sim/calibrate/fit-serving.js';
import { synthesiseRun } from '../../sim/calibrate/synthetic.js';
import { resolveGpu, resolveModel } from '../../sim/serving/catalog/resolve.js';

test('scratch', () => {
  const server = {
    model: { architecture: resolveModel('llama-3.1-8b'), tensorParallel: 1, weightDtype: 'bf16', kvDtype: 'bf16' } as const,
    gpu: resolveGpu('h100-80gb'),
    replica: { maxNumSeqs: 256, maxNumBatchedTokens: 8192, kvBlocks: 20000, blockSize: 16, prefixCaching: true, coldStart: { firstStepSeconds: 0, steps: 0, initialFactor: 1 } },
  };
  const truth = { hbmEfficiency: 0.7, matmulEfficiency: 0.5, stepOverheadSec: 2e-3 };
  let t = Date.now();
  const run = synthesiseRun({ requests: 300, rates: [0.3, 20, 2, 40], prompt: [50, 3000], output: [10, 300], seed: 3 }, server, truth);
  console.log('synth ms', Date.now() - t);
  t = Date.now();
  const fit = fitServing([run], server, 0.5, 300);
  console.log('fit ms', Date.now() - t, fit);
});
