/**
 * The HPA resizing a Deployment in the middle of a RollingUpdate: the scaling event spreads the difference over
 * both ReplicaSets in proportion (sync.go `scale`, proportional-scaling.ts), then the rolling update carries on
 * at the new size; Argo canary and blue-green re-derive their sizes from it. Expected traces are derived by hand.
 */
import { describe, expect, it } from 'vitest';
import { DeploymentController } from '../../sim/rollout/deployment-controller.js';
import { intCount, percent } from '../../sim/config/int-or-percent.js';
import { ScriptedHost } from './scripted-host.js';
import { scriptedRollout } from './scripted-rollout.js';

function rollingDeployment(host: ScriptedHost, replicas: number): DeploymentController {
  const stable = host.fleet('old', replicas);
  const controller = new DeploymentController(
    host,
    { replicas, strategy: { kind: 'rollingUpdate', maxSurge: percent(25), maxUnavailable: intCount(0) }, progressDeadlineSeconds: 600 },
    stable,
  );
  host.drive(controller);
  return controller;
}

const writesAt = (host: ScriptedHost, t: number) => host.trace.filter((e) => e.t === t && e.call.startsWith('scale')).map((e) => e.call);

describe('an HPA scale-up during a RollingUpdate', () => {
  it('10 → 15 with old 9 and new 4: both ReplicaSets grow in proportion (old 13, new 6), then the rollout finishes at 15', () => {
    const host = new ScriptedHost({ readyAfter: { new: null } });
    const controller = rollingDeployment(host, 10);
    host.at(10, () => host.ready('new', 1));
    host.at(15, () => controller.scale(15));
    host.advance(15);
    // t=10 as in the plain rolling update: old 9, new 4 (max-replicas annotations 10 + 3 = 13 on both).
    expect(writesAt(host, 10)).toEqual(['scale old 9', 'scale new 4']);
    // t=15: replicas 15, maxSurge ceil(3.75) = 4 ⇒ allowed 19, Σ spec 13 ⇒ toAdd 6. Largest first (old 9):
    // round(9·19/13) − 9 = 4; new: round(4·19/13) − 4 = 2 (capped by 6 − 4 = 2) ⇒ old 13, new 6; no leftover.
    // The next pass is the rolling update at 15: 19 pods exist, none of the new can be added and only the
    // ready surplus may go (available 9 + 1 − 15 < 0), so nothing more is written.
    expect(writesAt(host, 15)).toEqual(['scale old 13', 'scale new 6']);
    for (let t = 30; t <= 300; t += 15) host.at(t, () => host.ready('new'));
    host.advance(400);
    expect(controller.state.outcome).toBe('completed');
    expect(host.podCounts('new').spec).toBe(15);
    expect(host.podCounts('old').spec).toBe(0);
  });

  it('a scale-down 10 → 6 mid-rollout: shrinks the largest first, older first among equals', () => {
    const host = new ScriptedHost({ readyAfter: { new: null } });
    const controller = rollingDeployment(host, 10);
    host.at(10, () => host.ready('new', 1));
    host.at(15, () => controller.scale(6));
    host.advance(15);
    // replicas 6, maxSurge ceil(1.5) = 2 ⇒ allowed 8, Σ spec 13 ⇒ toAdd −5. Old 9 first:
    // round(9·8/13) − 9 = −3; new: round(4·8/13) − 4 = −2 (max(−2, −5 + 3)) ⇒ old 6, new 2.
    // Then the rolling update at 6 in the same instant: 8 pods, minAvailable 6, 1 new unavailable ⇒ 1 old may go
    // (7 available − 6) ⇒ old 5, and the room it leaves ⇒ new 3.
    expect(writesAt(host, 15)).toEqual(['scale old 6', 'scale new 2', 'scale old 5', 'scale new 3']);
  });

  it('before and after the rollout the one active ReplicaSet takes spec.replicas', () => {
    const host = new ScriptedHost();
    const controller = rollingDeployment(host, 4);
    controller.scale(6);
    expect(host.podCounts('old').spec).toBe(6);
    controller.start();
    host.advance(300);
    expect(controller.state.outcome).toBe('completed');
    expect(host.podCounts('new').spec).toBe(6);
    host.at(301, () => controller.scale(3));
    host.advance(302);
    expect(host.podCounts('new').spec).toBe(3);
  });
});

describe('Argo Rollouts follow spec.replicas', () => {
  it('basic canary paused at 50 %: 4 → 8 replicas makes it 4 + 4, and the promotion ends at 8 canary pods', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    const controller = scriptedRollout(host, old, { strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }], maxSurge: 1, maxUnavailable: 0 } } });
    host.advance(100);
    expect([host.podCounts('old').spec, host.podCounts('new').spec]).toEqual([2, 2]);
    host.at(100, () => controller.scale!(8));
    host.advance(200);
    expect([host.podCounts('old').spec, host.podCounts('new').spec]).toEqual([4, 4]);
    host.at(200, () => controller.promote());
    host.advance(400);
    expect(controller.state.outcome).toBe('completed');
    expect([host.podCounts('old').spec, host.podCounts('new').spec]).toEqual([0, 8]);
  });

  it('blue-green before the switch: the active and the preview both follow; after it, the promoted ReplicaSet', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    const controller = scriptedRollout(host, old, { strategy: { blueGreen: { autoPromotionEnabled: false, scaleDownDelaySeconds: 30 } } });
    host.advance(50);
    expect([host.podCounts('old').spec, host.podCounts('new').spec]).toEqual([4, 4]);
    host.at(50, () => controller.scale!(6));
    host.advance(100);
    expect([host.podCounts('old').spec, host.podCounts('new').spec]).toEqual([6, 6]);
    host.at(100, () => controller.promote());
    host.advance(300);
    expect(controller.state.outcome).toBe('completed');
    host.at(300, () => controller.scale!(3));
    host.advance(310);
    expect([host.podCounts('old').spec, host.podCounts('new').spec]).toEqual([0, 3]);
  });
});
