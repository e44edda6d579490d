/**
 * `server.engine: triton`: Triton's defaults where they differ from vLLM's (server-schema.ts TRITON_DEFAULTS:
 * triton-inference-server/core server.cc exit_timeout_secs_ = 30), and the start-up without torch.compile.
 */
import { describe, expect, it } from 'vitest';
import { TRITON_DEFAULTS, zServer } from '../../sim/serving/server-schema.js';
import { engineStartup } from '../../sim/run/engine-startup.js';

describe('server.engine: triton', () => {
  it('drains 30 s after SIGTERM unless told otherwise; vLLM aborts at once', () => {
    expect(zServer.parse({ engine: 'triton' })).toMatchObject({ engine: 'triton', shutdownTimeout: 30, listenAt: 'engine-ready' });
    expect(zServer.parse({ engine: 'triton', shutdownTimeout: '90s' })).toMatchObject({ shutdownTimeout: 90 });
    expect(zServer.parse({})).toMatchObject({ engine: 'vllm', shutdownTimeout: 0 });
    expect(TRITON_DEFAULTS.shutdownTimeout).toBe(30);
  });

  it('an unknown engine is bad input naming the choices', () => {
    const result = zServer.safeParse({ engine: 'tgi' });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain('triton');
  });

  it('start-up: no compile phase and no JIT add-ons for prebuilt TensorRT-LLM engines; written phases are kept', () => {
    const triton = zServer.parse({ engine: 'triton' });
    const startup = engineStartup({ compile: 'auto' }, triton);
    expect(startup.compile !== 'auto' && startup.compile?.mean).toBe(0);
    expect(startup.jitAddOns).toEqual([]);
    expect(engineStartup({ compile: 'auto' }, zServer.parse({})).compile).toBe('auto');
    const written = engineStartup({ compile: 'auto', jitAddOns: ['flashinfer'] }, triton);
    expect(written.jitAddOns).toEqual(['flashinfer']);
  });
});
