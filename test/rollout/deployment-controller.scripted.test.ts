/**
 * The Kubernetes Deployment controller (RollingUpdate, Recreate, progress deadline, undo) reacting to scripted pod
 * events over time. Expected traces are derived from rollout-semantics.md §1 in the comments; the pure
 * arithmetic is covered by rolling-update.test.ts / recreate.test.ts / progress.test.ts, so these tests check
 * what the controller does with it when pods become ready, crash or linger.
 */
import { describe, expect, it } from 'vitest';
import type { ReplicaSet } from '../../sim/cluster/replicaset.js';
import { DeploymentController, type DeploymentStrategy } from '../../sim/rollout/deployment-controller.js';
import { intCount, percent, type IntOrPercent } from '../../sim/config/int-or-percent.js';
import { ScriptedHost, type TraceEntry } from './scripted-host.js';

const entries = (...rows: [number, string][]): TraceEntry[] => rows.map(([t, call]) => ({ t, call }));
const rolling = (maxSurge: IntOrPercent, maxUnavailable: IntOrPercent): DeploymentStrategy => ({
  kind: 'rollingUpdate',
  maxSurge,
  maxUnavailable,
});

/** A Deployment over `stable` (its spec is the desired count), progressDeadlineSeconds at the default 600 (§1.1). */
function deployment(host: ScriptedHost, stable: ReplicaSet, strategy: DeploymentStrategy): DeploymentController {
  const controller = new DeploymentController(host, { replicas: stable.spec, strategy, progressDeadlineSeconds: 600 }, stable);
  host.drive(controller);
  return controller;
}

const logsOf = (host: ScriptedHost, event: string) => host.logs.filter((l) => l.event === event).map((l) => l.t);

describe('RollingUpdate', () => {
  it('10 replicas, maxSurge 25 %, maxUnavailable 0: surge to 13, then old shrinks by exactly the pods that became ready', () => {
    const host = new ScriptedHost({ readyAfter: { new: null } });
    const old = host.fleet('old', 10);
    deployment(host, old, rolling(percent(25), intCount(0)));
    host.at(10, () => host.ready('new', 1));
    host.at(20, () => host.ready('new', 2));
    host.advance(30);
    // surge = ceil(25 % × 10) = ceil(2.5) = 3, unavailable = 0 ⇒ maxTotal 13, minAvailable 10.
    // t=0: new created at NewRSNewReplicas = min(13 − 10, 10) = 3; old: maxScaledDown = 13 − 10 − 3 unavailable = 0.
    // t=10, 1 ready: maxScaledDown = 13 − 10 − 2 = 1 and available 11 − 10 = 1 ⇒ old 9; next sync: room 13 − 12 ⇒ new 4.
    // t=20, 2 more ready: maxScaledDown = 13 − 10 − (4 − 3) = 2, available 9 + 3 − 10 = 2 ⇒ old 7; new 7 + 4 = 11 ⇒ 6.
    expect(host.trace).toEqual(
      entries(
        [0, 'phase rolling update'],
        [0, 'log RolloutStarted'],
        [0, 'create new'],
        [0, 'scale new 3'],
        [10, 'scale old 9'],
        [10, 'scale new 4'],
        [20, 'scale old 7'],
        [20, 'scale new 6'],
      ),
    );
    // Nothing is ready at t=30: still 13 pods, 3 of them unavailable, so no more writes.
    expect(host.podCounts('new')).toEqual({ spec: 6, ready: 3, available: 3, notReady: 3, terminating: 0 });
  });

  it('with every new pod ready 10 s after creation: waves of 3, complete when the last old pod is removed', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 10);
    const controller = deployment(host, old, rolling(percent(25), intCount(0)));
    host.advance(100);
    // Each wave: 3 new pods available ⇒ maxScaledDown = 13 − 10 − 0 = 3 ⇒ old −3, then new +3 (≤ 10).
    // t=30: old 4 → 1, new 9 → 10 (room 13 − 10 = 3 but only 1 left to 10).
    // t=40: allPods 11 ⇒ maxScaledDown = 11 − 10 = 1 ⇒ old 0; updated 10 = replicas = available ⇒ complete.
    expect(host.calls('scale', 'log RolloutComplete')).toEqual(
      entries(
        [0, 'scale new 3'],
        [10, 'scale old 7'],
        [10, 'scale new 6'],
        [20, 'scale old 4'],
        [20, 'scale new 9'],
        [30, 'scale old 1'],
        [30, 'scale new 10'],
        [40, 'scale old 0'],
        [40, 'log RolloutComplete'],
      ),
    );
    expect(controller.state).toEqual({ startedAt: 0, finishedAt: 40, outcome: 'completed', reason: undefined });
    expect(host.phases).toEqual([{ name: 'rolling update', start: 0, end: 40 }]);
  });

  it('maxSurge 0: the sync that creates the new RS (at 0 pods) also scales the old one down (§0.2)', () => {
    const host = new ScriptedHost({ readyAfter: { new: null } });
    const old = host.fleet('old', 10);
    deployment(host, old, rolling(intCount(0), percent(25)));
    host.at(10, () => host.ready('new'));
    host.advance(10);
    // surge 0, unavailable floor(2.5) = 2 ⇒ maxTotal 10, minAvailable 8.
    // t=0 sync 1: create new at min(10 − 10, …) = 0; same sync: maxScaledDown = 10 − 8 − 0 = 2 ⇒ old 8.
    //     sync 2: room 10 − 8 = 2 ⇒ new 2. sync 3: maxScaledDown = 10 − 8 − 2 = 0 ⇒ fixpoint.
    // t=10, both ready: maxScaledDown = 10 − 8 − 0 = 2, available 10 − 8 = 2 ⇒ old 6, then new 4.
    expect(host.calls('create', 'scale')).toEqual(
      entries([0, 'create new'], [0, 'scale new 0'], [0, 'scale old 8'], [0, 'scale new 2'], [10, 'scale old 6'], [10, 'scale new 4']),
    );
  });

  it('a new pod that crash-loops blocks the old scale-down until it is Ready again', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    deployment(host, old, rolling(intCount(1), intCount(0)));
    host.at(15, () => host.crash('new', 1));
    host.at(40, () => host.ready('new'));
    host.advance(45);
    // surge 1, unavailable 0 ⇒ maxTotal 5, minAvailable 4.
    // t=0: new 1. t=10: it is available ⇒ maxScaledDown 1 ⇒ old 3, new 2.
    // t=15: the first new pod crash-loops. t=20: the second is ready, but newRSUnavailable = 2 − 1 = 1 ⇒
    //   maxScaledDown = 5 − 4 − 1 = 0: no write (the rolling.go stall).
    // t=40: the crashed pod is Ready again ⇒ maxScaledDown 1, available 3 + 2 − 4 = 1 ⇒ old 2, new 3.
    expect(host.calls('scale')).toEqual(
      entries([0, 'scale new 1'], [10, 'scale old 3'], [10, 'scale new 2'], [40, 'scale old 2'], [40, 'scale new 3']),
    );
  });

  it('old pods still terminating do not delay completion (status counts active pods only, §1.3)', () => {
    const host = new ScriptedHost({ terminationSeconds: 30 });
    const old = host.fleet('old', 4);
    deployment(host, old, rolling(percent(25), percent(25)));
    host.advance(20);
    // Example 1 of §6: (3,2) at 0, (1,4) at 10, (0,4) at 20 ⇒ Complete at 20 although the old pods deleted at
    // 0, 10 and 20 hold on until 30, 40 and 50.
    expect(host.calls('scale')).toEqual(
      entries([0, 'scale new 1'], [0, 'scale old 3'], [0, 'scale new 2'], [10, 'scale old 1'], [10, 'scale new 4'], [20, 'scale old 0']),
    );
    expect(logsOf(host, 'RolloutComplete')).toEqual([20]);
    expect(host.podCounts(old).terminating).toBe(4);
  });

  it('minReadySeconds: the old RS shrinks when a new pod is available, not when it is Ready', () => {
    const host = new ScriptedHost({ minReadySeconds: 30 });
    const old = host.fleet('old', 2);
    deployment(host, old, rolling(intCount(1), intCount(0)));
    host.advance(100);
    // maxTotal 3, minAvailable 2. New pod 1: Ready at 10, available at 10 + 30 = 40 ⇒ old 1, new 2.
    // New pod 2: Ready at 50, available at 80 ⇒ old 0 ⇒ complete at 80.
    expect(host.calls('scale', 'log RolloutComplete')).toEqual(
      entries([0, 'scale new 1'], [40, 'scale old 1'], [40, 'scale new 2'], [80, 'scale old 0'], [80, 'log RolloutComplete']),
    );
  });

  it('kubectl rollout undo: the old RS becomes the target and rolls back with the same algorithm', () => {
    const host = new ScriptedHost({ readyAfter: { new: null } });
    const old = host.fleet('old', 4);
    const controller = deployment(host, old, rolling(percent(25), percent(25)));
    host.at(100, () => controller.abort('operator'));
    host.advance(200);
    // 4 @25 %/25 % ⇒ (surge 1, unavailable 1): t=0 (old 3, new 2), the new pods never become ready.
    // Undo at 100: target = old (spec 3), maxTotal 5, minAvailable 3. Growing it: Σspec 5 ≥ 5 ⇒ no room.
    //   Old side (the new RS, spec 2, 0 available): maxScaledDown = 5 − 3 − (3 − 3) = 2 ⇒ cleanupUnhealthy
    //   removes both unavailable pods ⇒ new 0. Next sync: room 5 − 3 = 2, capped at 4 − 3 ⇒ old 4.
    // t=110: the re-created old pod is available ⇒ updated 4 = available 4 ⇒ rolled back.
    expect(host.trace.filter((e) => e.t >= 100)).toEqual(
      entries(
        [100, 'log RolloutUndo'],
        [100, 'phase rollback'],
        [100, 'scale new 0'],
        [100, 'scale old 4'],
        [110, 'log RolloutRolledBack'],
      ),
    );
    expect(controller.state).toMatchObject({ finishedAt: 110, outcome: 'rolled-back' });
  });
});

describe('progress deadline (no rollback, §1.6)', () => {
  const stalled = (host: ScriptedHost) => {
    const old = host.fleet('old', 10);
    return deployment(host, old, rolling(percent(25), intCount(0)));
  };

  it('new pods that never become ready: stalled at lastUpdateTime + 600 + 1 s, and nothing is rolled back', () => {
    const host = new ScriptedHost({ readyAfter: { new: null } });
    const controller = stalled(host);
    host.advance(600);
    // Timed out only strictly after 0 + 600; the controller requeues itself at +1 s (requeueStuckDeployment).
    expect(controller.state.outcome).toBe('none');
    host.advance(601);
    expect(logsOf(host, 'ProgressDeadlineExceeded')).toEqual([601]);
    expect(controller.state).toMatchObject({ outcome: 'stalled', finishedAt: null });
    host.advance(5000);
    expect(host.calls('scale')).toEqual(entries([0, 'scale new 3']));
    controller.finish();
    expect(controller.state).toMatchObject({ outcome: 'stalled', reason: 'ProgressDeadlineExceeded: no progress for 600s' });
  });

  it('progress (a pod becoming ready) restarts the clock: the deadline moves from 601 to 901', () => {
    const host = new ScriptedHost({ readyAfter: { new: null } });
    const controller = stalled(host);
    host.at(300, () => host.ready('new', 1));
    host.advance(900);
    expect(controller.state.outcome).toBe('none');
    host.advance(1000);
    // At 300: ready ↑ and updated ↑ ⇒ lastUpdateTime 300 ⇒ timed out after 900, noticed at 901.
    expect(logsOf(host, 'ProgressDeadlineExceeded')).toEqual([901]);
    expect(host.calls('scale')).toEqual(entries([0, 'scale new 3'], [300, 'scale old 9'], [300, 'scale new 4']));
  });

  it('a stalled rollout resumes when its pods recover, and can stall again', () => {
    const host = new ScriptedHost({ readyAfter: { new: null } });
    const controller = stalled(host);
    host.at(700, () => host.ready('new'));
    host.advance(700);
    // Stalled at 601; at 700 all 3 new pods are available ⇒ maxScaledDown 3 ⇒ old 7, new 6; progress clears it.
    expect(controller.state).toMatchObject({ outcome: 'none', reason: undefined });
    expect(host.calls('scale').filter((e) => e.t === 700)).toEqual(entries([700, 'scale old 7'], [700, 'scale new 6']));
    host.advance(2000);
    // The 3 pods created at 700 never become ready: stalled again at 700 + 600 + 1.
    expect(logsOf(host, 'ProgressDeadlineExceeded')).toEqual([601, 1301]);
    expect(controller.state.outcome).toBe('stalled');
  });
});

describe('Recreate', () => {
  it('scales old to 0, waits for the last old pod to be gone (terminating included), then creates new at full size', () => {
    const host = new ScriptedHost({ terminationSeconds: null });
    const old = host.fleet('old', 3);
    const controller = deployment(host, old, { kind: 'recreate' });
    host.at(50, () => host.finishTermination(old, 2));
    host.at(70, () => host.finishTermination(old));
    host.advance(200);
    // §1.5: oldPodsRunning stays true while any old pod exists; NewRSNewReplicas for Recreate is `replicas`.
    expect(host.trace).toEqual(
      entries(
        [0, 'phase recreate'],
        [0, 'log RolloutStarted'],
        [0, 'scale old 0'],
        [70, 'create new'],
        [70, 'scale new 3'],
        [80, 'log RolloutComplete'],
      ),
    );
    expect(controller.state).toMatchObject({ finishedAt: 80, outcome: 'completed' });
  });

  it('pods that are gone at once: the new RS is created in the same instant as the scale-down', () => {
    const host = new ScriptedHost({ terminationSeconds: 0 });
    const old = host.fleet('old', 3);
    deployment(host, old, { kind: 'recreate' });
    host.advance(10);
    expect(host.calls('create', 'scale', 'log RolloutComplete')).toEqual(
      entries([0, 'scale old 0'], [0, 'create new'], [0, 'scale new 3'], [10, 'log RolloutComplete']),
    );
  });
});
