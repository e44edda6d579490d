const GiB = 1024 ** 3;

/** One replica's memory, per GPU where vLLM logs per worker. */
export interface MemoryLogFigures {
  readonly tensorParallel: number;
  readonly weightBytesPerGpu: number;
  /** The replica's KV cache (all ranks). */
  readonly kvCacheBytes: number;
  readonly kvCacheTokens: number;
  readonly kvCacheBlocks: number;
  /** max_model_len, for vLLM's "Maximum concurrency" line. */
  readonly maxModelLen: number;
  /** null under --enforce-eager. */
  readonly cudaGraphBytesPerGpu: number | null;
  readonly gpuMemoryBytes: number;
  readonly headroomBytesPerGpu: number;
}

/**
 * The memory lines of a vLLM start-up log, as vLLM words them (GiB = 2^30 bytes, as CUDA and vLLM count), so an
 * estimate reads side by side with a real log: gpu_model_runner's "Model loading took", gpu_worker's
 * "Available KV cache memory" (per worker), kv_cache_utils' "GPU KV cache size" and "Maximum concurrency",
 * V0's "# GPU blocks", and the CUDA-graph capture line. The last line is what nvidia-smi would show free.
 */
export function vllmMemoryLogLines(f: MemoryLogFigures): string[] {
  const lines = [
    `Model loading took ${gib(f.weightBytesPerGpu)} GiB memory`,
    `Available KV cache memory: ${gib(f.kvCacheBytes / f.tensorParallel)} GiB`,
    `GPU KV cache size: ${f.kvCacheTokens.toLocaleString('en-US')} tokens`,
    `Maximum concurrency for ${f.maxModelLen.toLocaleString('en-US')} tokens per request: ${(f.kvCacheTokens / f.maxModelLen).toFixed(2)}x`,
    `# GPU blocks: ${f.kvCacheBlocks}`,
    f.cudaGraphBytesPerGpu === null ? 'CUDA graphs: none (--enforce-eager)' : `Graph capturing finished, took ${gib(f.cudaGraphBytesPerGpu)} GiB`,
    `per GPU after start: ${gib(f.gpuMemoryBytes - f.headroomBytesPerGpu)} GiB of ${gib(f.gpuMemoryBytes)} GiB in use, ${gib(f.headroomBytesPerGpu)} GiB free`,
  ];
  if (f.headroomBytesPerGpu < 0) lines.push('CUDA-graph capture runs out of memory: lower gpuMemoryUtilization or use --enforce-eager');
  return lines;
}

function gib(bytes: number): string {
  return (bytes / GiB).toFixed(2);
}
