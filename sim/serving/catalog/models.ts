import { InputError } from '../../errors.js';

/**
 * The shape of a decoder-only transformer, as far as serving cost depends on it. Field names follow the
 * Hugging Face config.json meanings (model-config.ts maps them): `ffn` is intermediate_size, per expert for MoE.
 */
export interface ModelArchitecture {
  readonly name: string;
  readonly layers: number;
  readonly hidden: number;
  /** Query heads. */
  readonly heads: number;
  /** Key/value heads (GQA); equal to `heads` for multi-head attention. */
  readonly kvHeads: number;
  readonly headDim: number;
  /** SwiGLU intermediate size (gate, up and down projections), per expert for MoE. */
  readonly ffn: number;
  readonly vocab: number;
  /** MLP experts per layer; 1 = dense. */
  readonly experts: number;
  /** Experts each token is routed to (1 for dense). */
  readonly expertsPerToken: number;
  /** lm_head shares the input embedding matrix. */
  readonly tiedEmbeddings: boolean;
  /** Biases on the q, k and v projections (Qwen2). */
  readonly qkvBias: boolean;
  /** max_position_embeddings. */
  readonly maxContext: number;
  /** Model-specific JIT warm-ups vLLM runs at start when serving FP8 weights (cluster/startup-spec.ts JIT_ADD_ONS). */
  readonly fp8JitAddOns?: readonly string[];
}

function llama(name: string, layers: number, hidden: number, heads: number, kvHeads: number, ffn: number, vocab: number, maxContext: number): ModelArchitecture {
  return { name, layers, hidden, heads, kvHeads, headDim: 128, ffn, vocab, experts: 1, expertsPerToken: 1, tiedEmbeddings: false, qkvBias: false, maxContext };
}

/**
 * Sources: the Hugging Face config.json files staged in ../shared/data (beside the repository)/models (Llama-3.1-8B/70B-Instruct,
 * Mixtral-8x7B-v0.1, Qwen2.5-7B-Instruct, Llama-2-7b-hf; from inference-sim at f90a1e3, Apache-2.0) and the
 * table in serving-model.md §4.1 (Llama-2-70B, Qwen2.5-72B, Llama-3.1-405B from HF config mirrors and vidur).
 *
 * Llama-3.1-405B has 8 KV heads in Meta's paper and in the current meta-llama config.json, so that is the
 * default. Early HF mirrors and Meta's MP16 checkpoint (made for 16-way TP across two nodes) duplicate them to
 * 16, which doubles the KV cache per token (1008 KiB instead of 504 KiB) and adds 4.2 B parameters: deployments
 * of those checkpoints should name `llama-3.1-405b-kv16`. Check the deployed checkpoint's config.json.
 */
const CATALOG: readonly ModelArchitecture[] = [
  llama('llama-3.1-8b', 32, 4096, 32, 8, 14336, 128256, 131072),
  llama('llama-3.1-70b', 80, 8192, 64, 8, 28672, 128256, 131072),
  llama('llama-3.1-405b', 126, 16384, 128, 8, 53248, 128256, 131072),
  llama('llama-3.1-405b-kv16', 126, 16384, 128, 16, 53248, 128256, 131072),
  llama('llama-3-8b', 32, 4096, 32, 8, 14336, 128256, 8192),
  llama('llama-3-70b', 80, 8192, 64, 8, 28672, 128256, 8192),
  llama('llama-2-7b', 32, 4096, 32, 32, 11008, 32000, 4096),
  llama('llama-2-70b', 80, 8192, 64, 8, 28672, 32000, 4096),
  { ...llama('mixtral-8x7b', 32, 4096, 32, 8, 14336, 32000, 32768), experts: 8, expertsPerToken: 2 },
  { ...llama('qwen2.5-7b', 28, 3584, 28, 4, 18944, 152064, 32768), qkvBias: true },
  { ...llama('qwen2.5-72b', 80, 8192, 64, 8, 29568, 152064, 32768), qkvBias: true },
  // Qwen3 MoE (Qwen/Qwen3-30B-A3B, Qwen3-235B-A22B config.json: moe_intermediate_size per expert, 128 experts,
  // top-8); FP8 serving runs DeepGEMM and FlashInfer MoE JIT warm-ups (startup-and-drain.md r11).
  { ...llama('qwen3-30b-a3b', 48, 2048, 32, 4, 768, 151936, 40960), experts: 128, expertsPerToken: 8, fp8JitAddOns: ['deepgemm', 'flashinfer-moe-fp8'] },
  { ...llama('qwen3-235b-a22b', 94, 4096, 64, 4, 1536, 151936, 40960), experts: 128, expertsPerToken: 8, fp8JitAddOns: ['deepgemm', 'flashinfer-moe-fp8'] },
  // DeepSeek-V3 / R1 (deepseek-ai config.json: 61 layers, hidden 7168, 128 heads, MLA with a 512 + 64 latent, 256
  // routed experts of 2048 + 1 shared, top-8, vocab 129280, 163840 context), in the Llama shape: MLA's latent is one
  // replicated KV "head" of 288 (K and V: 576 elements a token and layer, as vLLM stores it), the shared expert is a
  // 9th routed one, and the 3 dense layers count as MoE. Parameters come out ~7 % high (~720 B for 671 B): memory
  // and step times are estimates; see docs/multi-node.md.
  { ...llama('deepseek-v3', 61, 7168, 128, 1, 2048, 129280, 163840), headDim: 288, experts: 256, expertsPerToken: 9 },
];

export const MODEL_CATALOG: ReadonlyMap<string, ModelArchitecture> = new Map(CATALOG.map((m) => [m.name, m]));

/** Parameter counts by role: what memory and step time need (quantised or not, read every step or not). */
export interface ParameterCounts {
  readonly total: number;
  /** Used per token: all but the unrouted experts. Equal to total for a dense model. */
  readonly active: number;
  /** Input token embedding table (looked up, not multiplied). */
  readonly embedding: number;
  /** Output projection; 0 when tied to the embedding. */
  readonly lmHead: number;
  /** Attention and MLP weight matrices of all layers (the part fp8/int4 quantisation applies to). */
  readonly matrices: number;
  /** One expert's MLP matrices in one layer (the dense MLP when experts = 1). */
  readonly expertMlpPerLayer: number;
  /** Norms, qkv biases and MoE routers of all layers plus the final norm (small, kept 16-bit). */
  readonly small: number;
}

/** Llama-family layout: SwiGLU MLP (3 matrices), two RMSNorms per layer, untied unless said. */
export function parameterCounts(m: ModelArchitecture): ParameterCounts {
  const qOut = m.heads * m.headDim;
  const kvOut = m.kvHeads * m.headDim;
  const attentionMatrices = m.hidden * (qOut + 2 * kvOut) + qOut * m.hidden;
  const expertMlpPerLayer = 3 * m.hidden * m.ffn;
  const matrices = m.layers * (attentionMatrices + m.experts * expertMlpPerLayer);
  const biases = m.qkvBias ? qOut + 2 * kvOut : 0;
  const router = m.experts > 1 ? m.hidden * m.experts : 0;
  const small = m.layers * (2 * m.hidden + biases + router) + m.hidden;
  const embedding = m.vocab * m.hidden;
  const lmHead = m.tiedEmbeddings ? 0 : embedding;
  const total = embedding + lmHead + matrices + small;
  const active = total - m.layers * (m.experts - m.expertsPerToken) * expertMlpPerLayer;
  return { total, active, embedding, lmHead, matrices, expertMlpPerLayer, small };
}

const INTEGER_FIELDS = ['layers', 'hidden', 'heads', 'kvHeads', 'headDim', 'ffn', 'vocab', 'experts', 'expertsPerToken', 'maxContext'] as const;

/** Throws an InputError naming the field when the architecture cannot be a real model. */
export function validateArchitecture(m: ModelArchitecture, path: string): void {
  for (const field of INTEGER_FIELDS) {
    const v = m[field];
    if (!Number.isInteger(v) || v < 1) throw new InputError(`${field} is ${JSON.stringify(v)}; expected a positive integer`, path);
  }
  if (m.heads % m.kvHeads !== 0) {
    throw new InputError(`heads (${m.heads}) is not a multiple of kvHeads (${m.kvHeads}); grouped-query attention shares each KV head among a whole number of query heads`, path);
  }
  if (m.expertsPerToken > m.experts) {
    throw new InputError(`expertsPerToken (${m.expertsPerToken}) exceeds experts (${m.experts})`, path);
  }
}

/**
 * vLLM's sharding rules: query heads split evenly over the TP ranks; KV heads split evenly too, or, when fewer
 * than the ranks, each is replicated on a whole number of ranks.
 */
export function canShard(m: ModelArchitecture, tensorParallel: number): boolean {
  if (m.heads % tensorParallel !== 0) return false;
  return m.kvHeads >= tensorParallel ? m.kvHeads % tensorParallel === 0 : tensorParallel % m.kvHeads === 0;
}

export function validateTensorParallel(m: ModelArchitecture, tensorParallel: number, path: string): void {
  if (!Number.isInteger(tensorParallel) || tensorParallel < 1) {
    throw new InputError(`tensorParallel is ${JSON.stringify(tensorParallel)}; expected a positive integer`, path);
  }
  if (canShard(m, tensorParallel)) return;
  let suggestion = tensorParallel - 1;
  while (!canShard(m, suggestion)) suggestion--;
  throw new InputError(
    `tensorParallel ${tensorParallel} cannot shard ${m.name} (${m.heads} attention heads must split evenly; its ${m.kvHeads} KV heads must split evenly or be replicated a whole number of times); the largest smaller choice is ${suggestion}`,
    path,
  );
}
