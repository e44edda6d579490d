/** Storage formats of the weights and of the KV cache, as vLLM's `--quantization` / `--kv-cache-dtype` pick them. */
export const WEIGHT_DTYPES = ['bf16', 'fp8', 'int4'] as const;
export type WeightDtype = (typeof WEIGHT_DTYPES)[number];

export const KV_DTYPES = ['bf16', 'fp8'] as const;
export type KvDtype = (typeof KV_DTYPES)[number];

/**
 * Bytes per quantised weight. int4 (AWQ/GPTQ W4A16) leaves out its per-group scales (about 3 % more at group
 * size 128); fp8 scales are per tensor or per channel, negligible.
 */
export const WEIGHT_DTYPE_BYTES: Readonly<Record<WeightDtype, number>> = { bf16: 2, fp8: 1, int4: 0.5 };

export const KV_DTYPE_BYTES: Readonly<Record<KvDtype, number>> = { bf16: 2, fp8: 1 };

/**
 * Embeddings, lm_head, norms, biases and MoE routers stay in 16-bit under vLLM's fp8/AWQ/GPTQ quantisation:
 * only the attention and MLP weight matrices take the weight dtype.
 */
export const UNQUANTISED_BYTES = 2;

/** Activations, and so the tensor-parallel all-reduce payload, stay 16-bit whatever the weight dtype. */
export const ACTIVATION_BYTES = 2;

export interface ServingDtypes {
  readonly weightDtype: WeightDtype;
  readonly kvDtype: KvDtype;
}
