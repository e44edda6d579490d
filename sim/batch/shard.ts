import { InputError } from '../errors.js';

/** Shard `index` of `count`: the runs whose index is `index` modulo `count` (round-robin). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export const WHOLE: Shard = { index: 0, count: 1 };

/** The variable a Kubernetes Indexed Job sets in each pod to the pod's completion index. */
export const COMPLETION_INDEX_VAR = 'JOB_COMPLETION_INDEX';

/**
 * `--shard i/N`; `--shard /N` takes i from JOB_COMPLETION_INDEX, so the command runs unchanged in every pod of
 * an Indexed Job; no flag is the whole sweep (0/1).
 */
export function parseShard(text: string | undefined, env: Readonly<Record<string, string | undefined>>): Shard {
  if (text === undefined) return WHOLE;
  const match = /^(\d*)\/(\d+)$/.exec(text.trim());
  if (!match) throw new InputError(`"${text}" is not a shard; write i/N (e.g. 0/4), or /N to take i from ${COMPLETION_INDEX_VAR}`, '--shard');
  const count = Number(match[2]);
  if (count < 1) throw new InputError(`"${text}": the shard count must be at least 1`, '--shard');
  let index: number;
  if (match[1] !== '') {
    index = Number(match[1]);
  } else {
    const fromEnv = env[COMPLETION_INDEX_VAR];
    if (fromEnv === undefined || !/^\d+$/.test(fromEnv.trim())) {
      const found = fromEnv === undefined ? 'not set' : `"${fromEnv}"`;
      throw new InputError(`"${text}" takes the shard index from ${COMPLETION_INDEX_VAR}, which is ${found}`, '--shard');
    }
    index = Number(fromEnv.trim());
  }
  if (index >= count) throw new InputError(`shard index ${index} is not below the shard count ${count}`, '--shard');
  return { index, count };
}

/**
 * The runs of one shard, round-robin by run index: every shard gets runs from every grid point, so shards take
 * about as long as each other even when the cost of a run varies along the grid.
 */
export function shardOf<T extends { readonly index: number }>(runs: readonly T[], shard: Shard): T[] {
  return runs.filter((run) => run.index % shard.count === shard.index);
}
