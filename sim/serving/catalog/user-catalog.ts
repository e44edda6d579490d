import { z } from 'zod';
import { InputError } from '../../errors.js';
import { GPU_CATALOG, type GpuSpec } from './gpus.js';
import { architectureFromHfConfig } from './model-config.js';
import { MODEL_CATALOG, type ModelArchitecture } from './models.js';
import { zInlineGpu } from './schema.js';
import type { UserCatalog } from './catalog-scope.js';

const positiveInt = z.int().min(1);

/**
 * A model of a user catalog: its name and the Hugging Face config.json fields serving cost depends on (the ones
 * model-config.ts reads). Strict, so a misspelt field is an error rather than a silently defaulted value.
 */
const zCatalogModel = z.strictObject({
  name: z.string().min(1),
  model_type: z.string().optional(),
  num_hidden_layers: positiveInt,
  hidden_size: positiveInt,
  num_attention_heads: positiveInt,
  num_key_value_heads: positiveInt.optional().meta({ description: 'default = num_attention_heads' }),
  head_dim: positiveInt.optional().meta({ description: 'default = hidden_size / num_attention_heads' }),
  intermediate_size: positiveInt,
  vocab_size: positiveInt,
  num_local_experts: positiveInt.optional(),
  num_experts: positiveInt.optional(),
  num_experts_per_tok: positiveInt.optional(),
  tie_word_embeddings: z.boolean().optional(),
  attention_bias: z.boolean().optional(),
  max_position_embeddings: positiveInt,
});

/** A catalog file: GPUs as the inline nodePools[].gpu object, models by their config.json fields. */
export const zCatalogFile = z.strictObject({
  gpus: z.array(z.unknown()).default([]).meta({ description: 'GPUs, each as an inline nodePools[].gpu object' }),
  models: z.array(z.unknown()).default([]).meta({ description: 'models, each { name, <Hugging Face config.json fields> }' }),
});

/**
 * Checks each entry of a parsed catalog file and builds the catalog; errors name the file and the entry
 * (`gpus[0].memory`). A name that
 * a built-in entry (or an earlier entry of the file) already has is an error naming both.
 */
export function buildUserCatalog(parsed: z.output<typeof zCatalogFile>, source: string): UserCatalog {
  const gpus = new Map<string, GpuSpec>();
  parsed.gpus.forEach((raw, i) => {
    const gpu = parseEntry(zInlineGpu, raw, `gpus[${i}]`, source);
    addUnique(gpus, GPU_CATALOG, gpu.name, gpu, 'GPU', `gpus[${i}].name`, source);
  });
  const models = new Map<string, ModelArchitecture>();
  parsed.models.forEach((raw, i) => {
    const entry = parseEntry(zCatalogModel, raw, `models[${i}]`, source);
    const { name, ...config } = entry;
    const architecture = inEntry(`models[${i}]`, source, () => architectureFromHfConfig(config, `models[${i}]`, name));
    addUnique(models, MODEL_CATALOG, name, architecture, 'model', `models[${i}].name`, source);
  });
  return { source, gpus, models };
}

function parseEntry<T extends z.ZodType>(schema: T, raw: unknown, path: string, source: string): z.output<T> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  // A misspelt field also leaves the field it meant missing: the misspelling is the news.
  const issues = result.error.issues;
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0];
  const where = [path, ...issue.path.map(String)].join('.');
  const message = issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
  throw new InputError(`${source}: ${where}: ${message}`);
}

/** An InputError of a check on one entry, reworded to say which entry of which file. */
function inEntry<T>(where: string, source: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new InputError(`${source}: ${where}: ${error.detail}`);
  }
}

function addUnique<T>(into: Map<string, T>, builtIn: ReadonlyMap<string, unknown>, name: string, value: T, kind: string, path: string, source: string): void {
  const key = name.trim().toLowerCase();
  const builtInName = [...builtIn.keys()].find((k) => k.toLowerCase() === key);
  if (builtInName !== undefined) {
    throw new InputError(`${source}: ${path}: ${kind} "${name}" clashes with the built-in ${kind} "${builtInName}"; give it another name`);
  }
  if (into.has(key)) throw new InputError(`${source}: ${path}: ${kind} "${name}" is named twice in the file`);
  into.set(key, value);
}
