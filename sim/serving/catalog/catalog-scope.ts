import { GPU_CATALOG, type GpuSpec } from './gpus.js';
import { MODEL_CATALOG, type ModelArchitecture } from './models.js';

/** GPUs and models a user adds to the built-in catalog; keys are lower-case names, as catalog lookups use. */
export interface UserCatalog {
  /** The file, for messages. */
  readonly source: string;
  readonly gpus: ReadonlyMap<string, GpuSpec>;
  readonly models: ReadonlyMap<string, ModelArchitecture>;
}

/**
 * The user catalog in force while a scenario is validated and resolved, or an `estimate` runs. Catalog names are
 * resolved inside zod transforms and deep in the resolve step, so the catalog is scoped around those
 * synchronous calls rather than threaded through every signature.
 */
let active: UserCatalog | undefined;

/** Runs `fn` with `catalog` (if any) added to the built-in catalog; restores the previous one afterwards. */
export function withUserCatalog<T>(catalog: UserCatalog | undefined, fn: () => T): T {
  if (catalog === undefined) return fn();
  const previous = active;
  active = catalog;
  try {
    return fn();
  } finally {
    active = previous;
  }
}

/** The built-in GPUs plus those of the user catalog in force. */
export function gpuCatalog(): ReadonlyMap<string, GpuSpec> {
  return active === undefined || active.gpus.size === 0 ? GPU_CATALOG : new Map([...GPU_CATALOG, ...active.gpus]);
}

/** The built-in models plus those of the user catalog in force. */
export function modelCatalog(): ReadonlyMap<string, ModelArchitecture> {
  return active === undefined || active.models.size === 0 ? MODEL_CATALOG : new Map([...MODEL_CATALOG, ...active.models]);
}
