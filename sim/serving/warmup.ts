import { z } from 'zod';
import { InputError } from '../errors.js';
import type { WarmPrefix } from './replica.js';

/**
 * `deployment.warmup`: what a new pod's server does before it reports Ready. `replayTopPrefixes: N` replays the
 * N most popular shared prefixes so they sit in its prefix cache when the first requests arrive. The replay's
 * own time (N prefills, tens of milliseconds each) is not added to the start-up.
 */
export const zWarmup = z.strictObject({
  replayTopPrefixes: z.int().min(1).meta({ description: 'most popular shared prefixes loaded into the prefix cache before Ready' }),
});

export type WarmupSpec = z.output<typeof zWarmup>;

/** The prefixes a warm-up loads, from the traffic's prefix groups (most popular first). */
export function warmupPrefixes(
  spec: WarmupSpec,
  groups: { mostPopular(count: number): WarmPrefix[] } | null,
  path = 'spec.deployment.warmup',
): WarmPrefix[] {
  if (groups === null) {
    throw new InputError({ problem: 'a prefix warm-up needs shared prefixes', expected: 'spec.traffic.prefix', got: 'no prefix groups' }, `${path}.replayTopPrefixes`);
  }
  return groups.mostPopular(spec.replayTopPrefixes);
}
