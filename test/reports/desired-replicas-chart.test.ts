/** The ready-replicas chart draws the autoscaler's desired replicas as a third line, only when there is one. */
import { describe, expect, it } from 'vitest';
import { buildCharts } from '../../reports/charts.js';
import { syntheticRunResult } from './fixture.js';

const seriesNames = (spec: unknown): string[] => {
  const values = JSON.stringify(spec).match(/"series":"[^"]+"/g) ?? [];
  return [...new Set(values.map((v) => v.slice('"series":"'.length, -1)))];
};

describe('desired replicas on the ready chart', () => {
  it('absent without an autoscaler', () => {
    const ready = buildCharts(syntheticRunResult()).find((c) => c.id === 'ready')!;
    expect(seriesNames(ready.spec)).toEqual(['old', 'new']);
  });

  it('a "desired (HPA)" line from the desiredReplicas column with summary.autoscaling', () => {
    const base = syntheticRunResult();
    const result = {
      ...base,
      summary: { ...base.summary, autoscaling: { minDesired: 4, maxDesired: 4, scaleUps: 0, scaleDowns: 0, desiredAtRolloutStart: 4, maxDesiredDuringRollout: 4 } },
    };
    const ready = buildCharts(result).find((c) => c.id === 'ready')!;
    expect(seriesNames(ready.spec)).toEqual(['old', 'new', 'desired (HPA)']);
    expect(JSON.stringify(ready.spec)).toContain('"series":"desired (HPA)","value":4');
  });
});
