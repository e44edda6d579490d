/**
 * Flagger's scheduler driven through the scripted host (rollout-semantics.md §4; fluxcd/flagger scheduler.go
 * advanceCanary). One run per analysis interval (60 s here) from rollout.at; old pods ready long ago, new pods
 * ready 10 s after creation, terminations instant. The sequences were derived by hand from advanceCanary:
 * run 0 scales the canary from zero; run 1 calls the pre-rollout hooks and sets the first weight; each later run
 * checks the metrics (a failure counts a failed check and holds) and steps; at maxWeight the canary spec is copied
 * to the primary, whose rolling update (maxSurge 25 %, maxUnavailable 25 % of 4: 1 and 1) runs on status changes;
 * the first run with the primary ready routes all traffic back to it; the next scales the canary to zero.
 */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { FlaggerController } from '../../sim/rollout/flagger-controller.js';
import type { zFlagger, zFlaggerAnalysis } from '../../sim/rollout/flagger-schema.js';
import { ScriptedHost, type ScriptedHostOptions, type TraceEntry } from './scripted-host.js';
import { scriptedRollout } from './scripted-rollout.js';

const entries = (...rows: [number, string][]): TraceEntry[] => rows.map(([t, call]) => ({ t, call }));

const DURATION_CHECK = { name: 'request-duration', thresholdRange: { max: 500 }, interval: 60 };

function flagger(
  analysis: Partial<z.input<typeof zFlaggerAnalysis>>,
  options: ScriptedHostOptions & { extra?: Partial<z.input<typeof zFlagger>> } = {},
): { host: ScriptedHost; controller: FlaggerController } {
  const host = new ScriptedHost(options);
  host.setTelemetry('new', { completed: 100, e2e: 0.3 });
  host.setTelemetry('shadow', { completed: 100, e2e: 0.3 });
  const old = host.fleet('old', 4);
  const controller = scriptedRollout(host, old, {
    strategy: { flagger: { analysis: { interval: 60, threshold: 2, metrics: [DURATION_CHECK], ...analysis }, ...options.extra } },
  }) as FlaggerController;
  return { host, controller };
}

describe('Flagger canary', () => {
  it('stepWeight 20 to maxWeight 40: scale-up, 20 %, 40 %, promotion with the primary rolling, traffic back, canary to 0', () => {
    const { host, controller } = flagger({ stepWeight: 20, maxWeight: 40 });
    host.advance(1000);
    expect(host.trace).toEqual(
      entries(
        [0, 'create new'],
        [0, 'log RolloutStarted'],
        [0, 'scale new 4'],
        [0, 'phase canary up'],
        [0, 'log NewRevision'],
        // Run 1: pre-rollout hooks instead of metrics (no traffic on the canary yet), then the first step.
        [60, 'phase analysis'],
        [60, 'log SetWeight'],
        [60, 'phase weight 20%'],
        [60, 'split old=80 new=20'],
        [120, 'log AnalysisMeasurement'],
        [120, 'log SetWeight'],
        [120, 'phase weight 40%'],
        [120, 'split old=60 new=40'],
        // At maxWeight the next passing run promotes: the primary (old) rolls to the new spec by its own strategy.
        [180, 'log AnalysisMeasurement'],
        [180, 'create new#2'],
        [180, 'phase promoting'],
        [180, 'log Promote'],
        [180, 'scale new#2 1'],
        [180, 'scale old 3'],
        [180, 'scale new#2 2'],
        [190, 'scale old 1'],
        [190, 'scale new#2 4'],
        // The primary's 60 % over its ready pods: 1 old, 2 new ⇒ old 20, new 40 + 40.
        [190, 'split old=20 new=80'],
        [200, 'scale old 0'],
        [200, 'split old=0 new=100'],
        // The first run with the primary ready: all traffic to the primary (Finalising); the next: canary to 0.
        [240, 'log SetWeight'],
        [240, 'phase finalising'],
        [300, 'scale new 0'],
        [300, 'log RolloutComplete'],
      ),
    );
    expect(controller.state).toMatchObject({ finishedAt: 300, outcome: 'completed' });
    expect(controller.phase).toBe('Succeeded');
  });

  it('a slow canary: every check fails from 120 s, rollback at the run where failedChecks reaches the threshold', () => {
    const { host, controller } = flagger({ stepWeight: 20, maxWeight: 40 });
    host.setTelemetry('new', { completed: 100, e2e: 0.8 });
    host.advance(1000);
    expect(host.calls('split', 'scale', 'log Halt', 'log RolloutRolledBack')).toEqual(
      entries(
        [0, 'scale new 4'],
        [60, 'split old=80 new=20'],
        [120, 'log Halt'],
        [180, 'log Halt'],
        [240, 'split old=100 new=0'],
        [240, 'scale new 0'],
        [240, 'log RolloutRolledBack'],
      ),
    );
    expect(controller.state).toMatchObject({ finishedAt: 240, outcome: 'rolled-back', reason: 'failed checks threshold reached 2' });
    expect(host.logs.find((l) => l.event === 'Halt')?.reason).toBe('request-duration 800 > 500 (failed checks 1/2)');
  });

  it('failed checks are cumulative: a pass between two failures does not reset them', () => {
    const { host, controller } = flagger({ stepWeight: 10, maxWeight: 50 });
    host.at(100, () => host.setTelemetry('new', { completed: 100, e2e: 0.8 }));
    host.at(150, () => host.setTelemetry('new', { completed: 100, e2e: 0.3 }));
    host.at(200, () => host.setTelemetry('new', { completed: 100, e2e: 0.8 }));
    host.advance(1000);
    // 120 fails (1), 180 passes (weight 20), 240 fails (2), 300 rolls back.
    expect(host.gatewayChanges()).toEqual(entries([60, 'split old=90 new=10'], [180, 'split old=80 new=20'], [300, 'split old=100 new=0']));
    expect(controller.state).toMatchObject({ finishedAt: 300, outcome: 'rolled-back' });
  });

  it('no canary requests: "no values found" fails the check, as a Prometheus query with no result does', () => {
    const { host, controller } = flagger({ stepWeight: 50, threshold: 1, metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 } }] });
    host.setTelemetry('new', {});
    host.advance(1000);
    expect(controller.state).toMatchObject({ finishedAt: 180, outcome: 'rolled-back' });
    expect(host.logs.find((l) => l.event === 'Halt')?.reason).toMatch(/^request-success-rate: no values found/);
  });

  it('mirror: one run of mirrored traffic at weight 0 (checks read the mirrored copies), then the steps', () => {
    const { host } = flagger({ stepWeight: 50, mirror: true, mirrorWeight: 40 });
    host.setTelemetry('new', {});
    host.advance(130);
    expect(host.gatewayChanges()).toEqual(entries([60, 'mirror new 40%'], [60, 'split old=100 new=0'], [120, 'mirror off'], [120, 'split old=50 new=50']));
  });

  it('a canary that never becomes ready: rollback at the first run past progressDeadlineSeconds', () => {
    const { host, controller } = flagger({ stepWeight: 20 }, { readyAfter: { new: null }, extra: { progressDeadlineSeconds: 600 } });
    host.advance(2000);
    expect(controller.state).toMatchObject({ finishedAt: 660, outcome: 'rolled-back' });
    expect(host.calls('split', 'scale')).toEqual(entries([0, 'scale new 4'], [660, 'split old=100 new=0'], [660, 'scale new 0']));
  });
});

describe('Flagger webhooks as timed gates', () => {
  it('confirm-rollout closed until 150 s after its first call: the canary is scaled up at the first run after', () => {
    const { host } = flagger({ stepWeight: 50, webhooks: [{ name: 'approve', type: 'confirm-rollout', passAfter: 150 }] });
    host.advance(400);
    expect(host.calls('scale new', 'phase')[0]).toEqual({ t: 0, call: 'phase waiting for confirm-rollout' });
    expect(host.calls('scale new')).toEqual(entries([180, 'scale new 4']));
  });

  it('confirm-promotion: WaitingPromotion at maxWeight, analysis still runs, promotion once the gate opens', () => {
    const { host, controller } = flagger({ stepWeight: 50, webhooks: [{ name: 'gate', type: 'confirm-promotion', passAfter: 100 }] });
    host.advance(170);
    // 60: 50 %, 120: 100 %, 180: gate first called (closed).
    host.advance(200);
    expect(controller.phase).toBe('WaitingPromotion');
    host.advance(1000);
    expect(host.calls('create new#2')).toEqual(entries([300, 'create new#2']));
    expect(host.calls('log AnalysisMeasurement').map((e) => e.t)).toEqual([120, 180, 240, 300]);
  });

  it('a failing pre-rollout hook counts failed checks at weight 0 until the threshold rolls back', () => {
    const { host, controller } = flagger({ stepWeight: 50, webhooks: [{ name: 'load-test', type: 'pre-rollout', fail: true }] });
    host.advance(1000);
    expect(host.calls('log Halt').map((e) => e.t)).toEqual([60, 120]);
    expect(controller.state).toMatchObject({ finishedAt: 180, outcome: 'rolled-back' });
  });

  it('a rollback hook that answers pass rolls back; an operator abort mid-promotion is ignored', () => {
    const rolled = flagger({ stepWeight: 50, webhooks: [{ name: 'manual', type: 'rollback', passAfter: 90 }] });
    rolled.host.advance(1000);
    // First asked at run 1 (60 s), it answers pass from 150 s: the run at 180 rolls back.
    expect(rolled.controller.state).toMatchObject({ finishedAt: 180, outcome: 'rolled-back', reason: 'rollback webhook invoked' });

    const promoting = flagger({ stepWeight: 50 });
    promoting.host.at(185, () => promoting.controller.abort('operator'));
    promoting.host.advance(1000);
    expect(promoting.controller.state.outcome).toBe('completed');
  });
});

describe('Flagger blue-green', () => {
  it('iterations 3 with mirror: mirrored for three runs, all traffic to the canary, promotion, back to the primary', () => {
    const { host, controller } = flagger({ iterations: 3, mirror: true });
    host.advance(1000);
    expect(host.gatewayChanges()).toEqual(
      entries(
        [60, 'mirror new 100%'],
        [60, 'split old=100 new=0'],
        [240, 'mirror off'],
        [240, 'split old=0 new=100'],
      ),
    );
    expect(host.calls('create new#2')).toEqual(entries([300, 'create new#2']));
    expect(host.calls('log Iteration').map((e) => e.t)).toEqual([60, 120, 180]);
    expect(controller.state).toMatchObject({ finishedAt: 420, outcome: 'completed' });
  });
});
