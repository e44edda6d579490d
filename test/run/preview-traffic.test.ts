/**
 * A blue-green preview gets no live traffic before the switch; rollout.previewTraffic (test requests) and
 * blueGreen.previewMirrorPercent (copies of live requests) give a pre-promotion analysis something to measure,
 * through the whole run.
 */
import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../sim/scenario/load.js';
import { merge, run, scenario, type Doc } from '../validation/scenario-kit.js';

const errorRate = { metrics: [{ name: 'errors', query: 'new.errorRate', interval: '10s', count: 3, successCondition: 'result < 0.05' }] };

const blueGreen = (extra: Doc, blueGreenExtra: Doc = {}): Doc =>
  scenario({
    duration: '120s',
    rollout: {
      at: '20s',
      strategy: { blueGreen: { prePromotionAnalysis: { templates: ['errors'] }, ...blueGreenExtra } },
      analysisTemplates: { errors: errorRate },
      ...extra,
    },
  });

const TEST_TRAFFIC = { previewTraffic: { rate: '5/s', promptTokens: 100, outputTokens: 10 } };

describe('traffic to a blue-green preview before the switch', () => {
  it('test requests let new.* measure the preview: a good version is promoted, the clients never see them', () => {
    const result = run(blueGreen(TEST_TRAFFIC));
    expect(result.summary.rollout.outcome).toBe('completed');
    // The first measurement may come before any test request has finished (an Error, retried 10 s later).
    const measurements = result.events.filter((e) => e.event === 'AnalysisMeasurement').map((e) => e.reason);
    expect(measurements.filter((m) => m.includes('Successful value=0'))).toHaveLength(3);
    // The test requests draw their own random streams and are not client requests: the live traffic is the same.
    const live = run(scenario({ duration: '120s' })).summary.requests;
    expect(result.summary.requests.arrived).toBe(live.arrived);
  });

  it('test requests find a failing version before any client does: rolled back, the live traffic never moved', () => {
    // The vLLM server model (the queueing model has no server errors).
    const result = run(merge(blueGreen({ ...TEST_TRAFFIC, newVersion: { errorRate: 0.5 } }), { spec: { server: undefined } }));
    expect(result.summary.rollout.outcome).toBe('rolled-back');
    expect(result.events.filter((e) => e.event === 'SwitchActive')).toEqual([]);
    expect(result.summary.requests.dropped + result.summary.requests.rejected).toBe(0);
  });

  it('mirrored live requests feed the preview too (previewMirrorPercent)', () => {
    const result = run(blueGreen({}, { previewMirrorPercent: 50 }));
    expect(result.summary.rollout.outcome).toBe('completed');
    expect(result.events.filter((e) => e.event === 'AnalysisRun').map((e) => e.reason)).toEqual(['pre-promotion: Successful']);
  });

  it('without either, a pre-promotion analysis of new.* is refused before the run, naming the fix', () => {
    expect(() => run(blueGreen({}))).toThrow(/prePromotionAnalysis.*previewTraffic/s);
  });

  it('previewTraffic with another strategy is a warning (compare and plan swap strategies), and sends nothing', () => {
    const loaded = loadScenarioText(JSON.stringify(scenario({ rollout: { at: '20s', strategy: { recreate: {} }, ...TEST_TRAFFIC } })));
    expect(loaded.warnings).toContain('spec.rollout.previewTraffic: only a blueGreen preview Service receives test requests; with recreate none are sent');
  });
});
