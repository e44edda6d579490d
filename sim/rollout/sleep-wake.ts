import type { NodePoolSpec } from '../cluster/nodes.js';
import type { SleepLevel, StartupSpec } from '../cluster/startup-spec.js';
import { InputError } from '../errors.js';
import type { RolloutSpec } from './strategy-schema.js';

/**
 * The sleepWake strategy's start-up side (docs/startup-levers.md): the new version's engine waits asleep on the
 * GPUs of the pod it replaces, so the new pods wake it instead of starting cold.
 */

/** The sleep level of a sleepWake rollout, or null for any other strategy. */
export function sleepWakeLevel(rollout: RolloutSpec | null | undefined): SleepLevel | null {
  return rollout && 'sleepWake' in rollout.strategy ? rollout.strategy.sleepWake.level : null;
}

/** The new version's start-up under a sleepWake rollout: a wake at the rollout's level. */
export function wakingStartup(startup: StartupSpec, level: SleepLevel): StartupSpec {
  return { ...startup, wakeFromSleep: level };
}

/**
 * Level 1 keeps the sleeping engines' weights in host memory (vLLM: "make sure there's enough CPU memory to store
 * the model weights"): each node of a pool the model runs on holds, per pod it can place, the serving pod's
 * memory request and one sleeping copy of the weights. An InputError naming the pool when they do not fit.
 */
export function checkSleepHostMemory(
  level: SleepLevel,
  weightBytes: number,
  podMemoryRequest: number,
  tensorParallel: number,
  pools: readonly Pick<NodePoolSpec, 'name' | 'gpu' | 'gpusPerNode' | 'hostMemory'>[],
  modelGpu: string,
): void {
  if (level !== 1) return;
  pools.forEach((pool, i) => {
    if (pool.gpu !== modelGpu) return;
    const pods = Math.floor(pool.gpusPerNode / tensorParallel);
    const needed = pods * (weightBytes + podMemoryRequest);
    if (needed > pool.hostMemory) {
      throw new InputError(
        {
          problem: `sleep level 1 keeps ${pods} sleeping engine(s) of ${gib(weightBytes)} weights in host memory on each node of pool "${pool.name}", beside ${pods} pod(s) requesting ${gib(podMemoryRequest)} each (${gib(needed)} in all)`,
          expected: `at most the node's host memory (${gib(pool.hostMemory)}); use level: 2 (weights discarded, reloaded on wake) or nodes with more memory`,
        },
        `spec.cluster.nodePools[${i}].hostMemory`,
      );
    }
  });
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}
