import { z } from 'zod';
import { zDistribution } from '../config/distribution-spec.js';
import { zDuration } from '../config/zod-units.js';
import { zLoraServer } from './lora.js';

/**
 * The scenario's `server` field: a vLLM-like LLM engine (the default) or, with `model: queue`, a plain FIFO
 * station for queueing-theory runs. Every default is written out so `rollout-sim schema` shows it.
 */

const zWholeAtLeast = (min: number) => z.int().min(min);

/** replica.ts ColdStart explains the measurement behind these defaults. */
export const zColdStart = z
  .strictObject({
    firstStepSeconds: zDuration
      .prefault('1.1s')
      .meta({ description: 'extra time of the first engine step after start (H200 measurement: ~1.1 s vs 13 ms warm)' }),
    steps: zWholeAtLeast(0).default(20).meta({ description: 'steps after the first over which the slow-down fades' }),
    initialFactor: z
      .number()
      .min(1)
      .default(1.5)
      .meta({ description: 'step-time multiplier of the second step, falling linearly to 1 (not measured: a mild guess)' }),
  })
  .meta({ description: 'cold kernels of a new replica; firstStepSeconds: 0 and initialFactor: 1 turn it off' });

/**
 * The serving engine. `triton`: NVIDIA Triton Inference Server with the TensorRT-LLM backend, whose in-flight
 * batching is continuous batching as vLLM's (maxNumSeqs is its max_batch_size, maxNumBatchedTokens its
 * max_num_tokens); where Triton behaves differently, its own defaults apply (TRITON_DEFAULTS).
 */
export const SERVER_ENGINES = ['vllm', 'triton'] as const;
export type ServerEngine = (typeof SERVER_ENGINES)[number];

/**
 * Triton's defaults where they differ from vLLM's (triton-inference-server/core src/server.cc, the
 * InferenceServer constructor and `Stop`; docs: user_guide "Model Repository" and the `--exit-timeout-secs`,
 * `--strict-readiness` options of tritonserver --help):
 * - shutdownTimeout: `exit_timeout_secs_ = 30`. On SIGTERM Triton sets SERVER_EXITING (readiness fails), stops
 *   every model (their schedulers refuse new requests), waits for the in-flight ones, and exits at the timeout.
 *   vLLM aborts at once unless --shutdown-timeout is given.
 * - listenAt engine-ready: the model repository is loaded (model-control-mode none: every model, at start-up)
 *   before the HTTP and gRPC endpoints start, and with `strict_readiness_ = true` /v2/health/ready is true only
 *   once every model is READY.
 */
export const TRITON_DEFAULTS = { shutdownTimeout: 30, listenAt: 'engine-ready' } as const;
const VLLM_DEFAULTS = { shutdownTimeout: 0, listenAt: 'engine-ready' } as const;
const ENGINE_DEFAULTS = { vllm: VLLM_DEFAULTS, triton: TRITON_DEFAULTS } as const;

export const zLlmServer = z
  .strictObject({
    model: z.literal('llm').default('llm'),
    engine: z.enum(SERVER_ENGINES).default('vllm').meta({ description: 'vllm, or triton (Triton + TensorRT-LLM: its own drain default)' }),
    /** vLLM's default on GPUs under 70 GiB and before v0.10 on all; newer vLLM uses 1024 on H100-class GPUs. */
    maxNumSeqs: zWholeAtLeast(1).default(256),
    /**
     * vLLM's OpenAI-server default with chunked prefill on GPUs of 70 GiB or more other than A100 (H100, H200,
     * MI300X: the GPUs this simulator targets); it is 2048 on smaller GPUs and on A100.
     */
    maxNumBatchedTokens: zWholeAtLeast(1).default(8192),
    gpuMemoryUtilization: z.number().gt(0).max(1).default(0.9),
    cudaGraphsInKvBudget: z
      .boolean()
      .default(false)
      .meta({ description: 'VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1: CUDA-graph memory comes out of the KV cache (default: captured above gpuMemoryUtilization)' }),
    kvBlocks: zWholeAtLeast(1)
      .optional()
      .meta({ description: 'measured KV capacity in blocks (vLLM logs "# GPU blocks"); overrides the memory estimate' }),
    blockSize: zWholeAtLeast(1).default(16),
    maxWaiting: zWholeAtLeast(0)
      .optional()
      .meta({ description: 'bound on the waiting queue; beyond it requests are rejected (503). Unbounded if absent' }),
    prefixCaching: z.boolean().default(true),
    coldStart: zColdStart.prefault({}),
    lora: zLoraServer.optional(),
    /** The step-time model; its schema (zStepTimeSpec) belongs to step-time/ and is plugged in there. */
    stepTime: z.unknown().optional(),
    shutdownTimeout: zDuration
      .optional()
      .meta({ description: 'drain time after SIGTERM; 0 = abort at once. Unset: 0 for vllm (as vLLM before 0.18), 30 s for triton (--exit-timeout-secs)' }),
    listenAt: z
      .enum(['process-start', 'engine-ready'])
      .optional()
      .meta({ description: 'when the HTTP port opens; unset: engine-ready (vLLM and Triton open it once the model is loaded)' }),
  })
  .refine((server) => server.maxNumBatchedTokens >= server.maxNumSeqs, {
    error: (issue) => {
      const server = issue.input as { maxNumBatchedTokens: number; maxNumSeqs: number };
      return `maxNumBatchedTokens (${server.maxNumBatchedTokens}) must be at least maxNumSeqs (${server.maxNumSeqs}), as vLLM requires`;
    },
    path: ['maxNumBatchedTokens'],
  })
  .transform((server) => ({
    ...server,
    shutdownTimeout: server.shutdownTimeout ?? ENGINE_DEFAULTS[server.engine].shutdownTimeout,
    listenAt: server.listenAt ?? ENGINE_DEFAULTS[server.engine].listenAt,
  }));

export const zQueueServer = z.strictObject({
  model: z.literal('queue'),
  serviceTime: zDistribution(zDuration),
  concurrency: zWholeAtLeast(1),
  maxWaiting: zWholeAtLeast(0)
    .optional()
    .meta({ description: 'room for waiting requests (M/M/c/K: K = concurrency + maxWaiting); unbounded if absent' }),
});

/** Told apart by `model`, so a mistake is reported against the mode the user meant, at its own path. */
export const zServer = z.discriminatedUnion('model', [zQueueServer, zLlmServer], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? `expected model: queue (a FIFO station), or model: llm or no model (the LLM engine); got ${JSON.stringify((issue.input as { model?: unknown } | undefined)?.model)}`
      : undefined,
});

export type LlmServerSpec = z.output<typeof zLlmServer>;
export type QueueServerSpec = z.output<typeof zQueueServer>;
export type ServerSpec = z.output<typeof zServer>;
