/**
 * The in-pool adapter rollout (strategy adapterRewrite): the gateway's rewrite weight follows the steps, nothing
 * is scaled, and an abort or a failed analysis sets the weight back to 0.
 */
import { describe, expect, it } from 'vitest';
import { ScriptedHost, type TraceEntry } from './scripted-host.js';
import { scriptedRollout } from './scripted-rollout.js';

const entries = (...rows: [number, string][]): TraceEntry[] => rows.map(([t, call]) => ({ t, call }));

describe('adapterRewrite controller', () => {
  it('10 % -> pause 60 s -> 50 % -> pause until promoted -> 100 %, with no ReplicaSet written', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    const controller = scriptedRollout(host, old, {
      strategy: { adapterRewrite: { from: 'v1', to: 'v2', steps: [{ setWeight: 10 }, { pause: { duration: 60 } }, { setWeight: 50 }, { pause: {} }] } },
    });
    host.at(300, () => controller.promote());
    host.advance(400);
    expect(host.calls('rewrite', 'scale', 'create', 'split')).toEqual(entries([0, 'rewrite 10'], [60, 'rewrite 50'], [300, 'rewrite 100']));
    expect(controller.state).toMatchObject({ startedAt: 0, finishedAt: 300, outcome: 'completed' });
  });

  it('a failed analysis step rolls back: the weight returns to 0', () => {
    const host = new ScriptedHost();
    host.setTelemetry('new', { completed: 80, dropped: 20 });
    const old = host.fleet('old', 4);
    const controller = scriptedRollout(host, old, {
      strategy: { adapterRewrite: { from: 'v1', to: 'v2', steps: [{ setWeight: 10 }, { analysis: { templates: ['errors'] } }, { setWeight: 100 }] } },
      analysisTemplates: { errors: { metrics: [{ name: 'errors', query: 'new.errorRate', successCondition: 'result < 0.05' }] } },
    });
    host.advance(100);
    expect(host.calls('rewrite')).toEqual(entries([0, 'rewrite 10'], [0, 'rewrite 0']));
    expect(controller.state).toMatchObject({ finishedAt: 0, outcome: 'rolled-back', reason: 'analysis at step 1 Failed' });
  });

  it('the two-pool split is a traffic-routed canary with the new pool at full size from the start', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    const controller = scriptedRollout(host, old, {
      strategy: { inferencePoolSplit: { steps: [{ setWeight: 10 }, { pause: { duration: 60 } }], scaleDownDelaySeconds: 30 } },
    });
    host.advance(400);
    const gateway = host.gatewayChanges().map((e) => [e.t, e.call]);
    expect(host.calls('scale').slice(0, 1)).toEqual(entries([0, 'scale new 4']));
    expect(gateway).toEqual([
      [10, 'split old=90 new=10'],
      [70, 'split old=0 new=100'],
    ]);
    expect(host.calls('scale old')).toEqual(entries([100, 'scale old 0']));
    expect(controller.state).toMatchObject({ outcome: 'completed', finishedAt: 100 });
  });
});
