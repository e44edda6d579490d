/**
 * compare's adapter-rollout variants: lora-in-pool and lora-two-pool derived from each other, and the LoRA cost
 * table built from the runs' lora summaries.
 */
import { describe, expect, it } from 'vitest';
import { compareRow, loraCompareTable } from '../../reports/compare.js';
import { strategyVariant } from '../../sim/cli/compare-plan.js';
import { InputError } from '../../sim/errors.js';
import type { LoraSummary, Summary } from '../../sim/metrics/summary-types.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';

const IN_POOL = 'scenarios/lora/lora-rewrite-canary.yaml';

describe('compare: adapter rollouts', () => {
  it('lora-two-pool is the scenario adapterRewrite as a second pool, with the same adapters and steps', () => {
    const loaded = loadScenarioFile(IN_POOL);
    expect(strategyVariant('lora-in-pool', loaded).overrides).toEqual([]);
    const variant = strategyVariant('lora-two-pool', loaded);
    const strategy = loadScenarioFile(IN_POOL, variant.overrides).scenario.spec.rollout?.strategy;
    expect(strategy).toMatchObject({
      inferencePoolSplit: { from: 'sql-v1', to: 'sql-v2', steps: [{ setWeight: 10 }, { pause: { duration: 120 } }, { setWeight: 50 }, { pause: { duration: 120 } }] },
    });
  });

  it('needs an adapter rollout to derive from', () => {
    const loaded = loadScenarioFile('scenarios/llama-70b-default-rolling.yaml');
    expect(() => strategyVariant('lora-in-pool', loaded)).toThrow(InputError);
    expect(() => strategyVariant('lora-in-pool', loaded)).toThrow(/adapterRewrite or inferencePoolSplit/);
  });

  it('averages the lora figures into their own table, only for runs that serve adapters', () => {
    const lora = (extraGpuHours: number, adapterLoads: number) => ({ extraGpuHours, adapterLoads, missRequests: adapterLoads }) as Partial<LoraSummary>;
    const summary = (l: Partial<LoraSummary> | undefined) =>
      ({
        requests: { dropped: 0, rejected: 0 },
        latency: { spikeRatio: 1, rollout: { ttftP95Ms: 1, ttftP99Ms: 1 } },
        rollout: { outcome: 'completed', minReadyReplicas: 4, durationSeconds: 60 },
        capacity: { peakGpus: 8, surgeGpus: 4, gpuHours: 1 },
        ...(l ? { lora: l } : {}),
      }) as unknown as Summary;
    const row = compareRow('lora-two-pool', [{ summary: summary(lora(0.4, 20)) }, { summary: summary(lora(0.6, 22)) }] as never);
    expect(row.lora?.extraGpuHours?.mean).toBeCloseTo(0.5);
    expect(row.lora?.adapterLoads?.mean).toBe(21);
    expect(row.lora?.surgeGpus?.mean).toBe(4);
    const table = loraCompareTable({ model: 'm', fleet: {} as never, rows: [row] });
    expect(table?.header).toContain('extra GPU-hours');
    expect(table?.rows[0][0]).toBe('lora-two-pool');
    const plain = compareRow('rolling', [{ summary: summary(undefined) }] as never);
    expect(plain.lora).toBeUndefined();
    expect(loraCompareTable({ model: 'm', fleet: {} as never, rows: [plain] })).toBeNull();
  });
});
