import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { zServer } from '../../sim/serving/server-schema.js';

function issues(input: unknown): { path: string; message: string }[] {
  const result = zServer.safeParse(input);
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be refused`);
  return result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('server schema', () => {
  it('fills every LLM-engine default', () => {
    expect(zServer.parse({})).toEqual({
      model: 'llm',
      engine: 'vllm',
      maxNumSeqs: 256,
      maxNumBatchedTokens: 8192,
      gpuMemoryUtilization: 0.9,
      cudaGraphsInKvBudget: false,
      blockSize: 16,
      prefixCaching: true,
      coldStart: { firstStepSeconds: 1.1, steps: 20, initialFactor: 1.5 },
      shutdownTimeout: 0,
      listenAt: 'engine-ready',
    });
  });

  it('takes units and overrides', () => {
    const server = zServer.parse({
      kvBlocks: 26313,
      maxWaiting: 100,
      shutdownTimeout: '45s',
      listenAt: 'process-start',
      coldStart: { firstStepSeconds: '2s', initialFactor: 1 },
      stepTime: { roofline: {} },
    });
    expect(server).toMatchObject({
      kvBlocks: 26313,
      maxWaiting: 100,
      shutdownTimeout: 45,
      listenAt: 'process-start',
      coldStart: { firstStepSeconds: 2, steps: 20, initialFactor: 1 },
      stepTime: { roofline: {} },
    });
  });

  it('reads the queueing mode', () => {
    expect(zServer.parse({ model: 'queue', serviceTime: { exponential: { mean: '2s' } }, concurrency: 4, maxWaiting: 10 })).toEqual({
      model: 'queue',
      serviceTime: { kind: 'exponential', mean: 2 },
      concurrency: 4,
      maxWaiting: 10,
    });
    expect(zServer.parse({ model: 'queue', serviceTime: '500ms', concurrency: 1 })).toMatchObject({
      serviceTime: { kind: 'constant', value: 0.5 },
    });
  });

  it('reports mistakes against the mode meant, at their own path', () => {
    expect(issues({ maxNumSeqs: 512, maxNumBatchedTokens: 256 })).toEqual([
      { path: 'maxNumBatchedTokens', message: 'maxNumBatchedTokens (256) must be at least maxNumSeqs (512), as vLLM requires' },
    ]);
    expect(issues({ model: 'queue', serviceTime: '1s', concurrency: 0 })[0].path).toBe('concurrency');
    expect(issues({ model: 'qeue' })[0].message).toMatch(/expected model: queue .* got "qeue"/);
    expect(issues({ maxNumSeq: 3 })[0].message).toMatch(/maxNumSeq/);
    expect(issues({ model: 'queue', serviceTime: '1s', concurrency: 2, maxNumSeqs: 3 })[0].message).toMatch(/maxNumSeqs/);
    expect(issues({ listenAt: 'later' })[0].path).toBe('listenAt');
    expect(issues({ gpuMemoryUtilization: 1.5 })[0].path).toBe('gpuMemoryUtilization');
  });

  it('converts to JSON Schema', () => {
    const schema = JSON.stringify(z.toJSONSchema(zServer, { io: 'input' }));
    expect(schema).toContain('maxNumBatchedTokens');
    expect(schema).toContain('serviceTime');
  });
});
