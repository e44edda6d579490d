import type { StartupInput } from '../cluster/startup-spec.js';
import { constant } from '../engine/distributions.js';
import type { ServerSpec } from '../serving/server-schema.js';

/**
 * The start-up phases the serving engine skips. Triton with the TensorRT-LLM backend loads engines built ahead of
 * time (trtllm-build compiles the model offline; the model repository holds the serialized engine), so a pod
 * has no torch.compile phase and no JIT add-ons at start: loading the repository is reading the engine. Phases
 * the scenario writes are kept.
 */
export function engineStartup(input: StartupInput, server: ServerSpec): StartupInput {
  if (server.model !== 'llm' || server.engine !== 'triton') return input;
  return { ...input, compile: input.compile === 'auto' ? constant(0) : input.compile, jitAddOns: input.jitAddOns ?? [] };
}
