import { basename, dirname } from 'node:path';
import { InputError } from '../../errors.js';
import { validateArchitecture, type ModelArchitecture } from './models.js';
import { INPUT_LIMITS, readInputFile } from '../../config/input-file.js';

/** Reads a Hugging Face config.json into a ModelArchitecture; `name` defaults to the file's (or folder's) name. */
export function loadModelConfig(file: string, name?: string): ModelArchitecture {
  const text = readInputFile(file, { what: 'model config.json', maxBytes: INPUT_LIMITS.data });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`not valid JSON: ${(error as Error).message}`, file);
  }
  return architectureFromHfConfig(json, file, name ?? nameFromPath(file));
}

/** `.../Llama-3.1-8B/config.json` → Llama-3.1-8B; `.../llama-2-7b-hf.config.json` → llama-2-7b-hf. */
function nameFromPath(file: string): string {
  const base = basename(file);
  if (base === 'config.json') return basename(dirname(file));
  return base.replace(/(\.config)?\.json$/, '');
}

/**
 * Maps config.json fields, with the defaults transformers itself applies when a field is absent:
 * num_key_value_heads = num_attention_heads, head_dim = hidden_size / num_attention_heads, untied embeddings
 * (the Llama, Mistral, Mixtral and Qwen2 config classes' default). Multimodal configs are read from their
 * text_config.
 */
export function architectureFromHfConfig(config: unknown, source: string, name: string): ModelArchitecture {
  if (!isRecord(config)) throw new InputError('expected a JSON object (a Hugging Face config.json)', source);
  const c = isRecord(config.text_config) && config.num_hidden_layers === undefined ? config.text_config : config;
  const unsupported = ['moe_intermediate_size', 'shared_expert_intermediate_size', 'n_shared_experts'].find((k) => c[k] !== undefined && c[k] !== null);
  if (unsupported !== undefined) {
    throw new InputError(`"${unsupported}" is set: shared or fine-grained MoE experts are not modelled; give the model's architecture inline instead`, source);
  }
  const int = (field: string, meaning: string, fallback?: number): number => {
    const v = c[field];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw new InputError(`missing "${field}" (${meaning}); expected a positive integer`, source);
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new InputError(`"${field}" is ${JSON.stringify(v)}; expected a positive integer (${meaning})`, source);
    }
    return v;
  };
  const bool = (field: string, fallback: boolean): boolean => {
    const v = c[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw new InputError(`"${field}" is ${JSON.stringify(v)}; expected true or false`, source);
    return v;
  };
  const hidden = int('hidden_size', 'model width');
  const heads = int('num_attention_heads', 'query heads');
  const experts = int('num_local_experts', 'MoE experts per layer', c.num_experts === undefined ? 1 : int('num_experts', 'MoE experts per layer'));
  // Qwen2 attention always has q/k/v biases; Llama-style configs say so with attention_bias.
  const modelType = typeof c.model_type === 'string' ? c.model_type : '';
  const architecture: ModelArchitecture = {
    name,
    layers: int('num_hidden_layers', 'transformer layers'),
    hidden,
    heads,
    kvHeads: int('num_key_value_heads', 'KV heads', heads),
    headDim: int('head_dim', 'per-head width', Math.floor(hidden / heads)),
    ffn: int('intermediate_size', 'MLP width'),
    vocab: int('vocab_size', 'vocabulary size'),
    experts,
    expertsPerToken: experts > 1 ? int('num_experts_per_tok', 'experts routed per token') : 1,
    tiedEmbeddings: bool('tie_word_embeddings', false),
    qkvBias: modelType.startsWith('qwen2') || bool('attention_bias', false),
    maxContext: int('max_position_embeddings', 'maximum context length'),
  };
  validateArchitecture(architecture, source);
  return architecture;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
