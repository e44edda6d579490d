/** `compare --at`: the same rollout started at several times of the day, one variant per strategy and time. */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { atVariants, strategyVariant } from '../../sim/cli/compare-plan.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';
import { inputError } from '../helpers/input-error.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const loaded = loadScenarioFile(resolve(ROOT, 'scenarios/autoscaling/diurnal-hpa-rolling.yaml'));

describe('compare --at', () => {
  it('one variant per start time, named after it, with rollout.at overridden', () => {
    const rolling = strategyVariant('rolling', loaded);
    const variants = atVariants(rolling, '5m,30m');
    expect(variants.map((v) => v.name)).toEqual(['rolling @ 5m', 'rolling @ 30m']);
    expect(variants[1].overrides.at(-1)).toBe('spec.rollout.at=30m');
    expect(variants[0].description).toContain('started at 5m');
  });

  it('without --at the scenario own time; a bad time is refused naming --at', () => {
    const rolling = strategyVariant('rolling', loaded);
    expect(atVariants(rolling, undefined)).toEqual([rolling]);
    expect(inputError(() => atVariants(rolling, '5m,soon')).message).toContain('--at');
  });
});
