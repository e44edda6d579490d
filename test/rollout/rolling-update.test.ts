import { describe, expect, it } from 'vitest';
import { intCount, percent, type IntOrPercent } from '../../sim/config/int-or-percent.js';
import {
  cleanupUnhealthyReplicas,
  newRSNewReplicas,
  reconcileNewReplicaSet,
  reconcileOldReplicaSets,
  rollingSyncStep,
  scaleDownOldReplicaSetsForRollingUpdate,
  type RsSnapshot,
} from '../../sim/rollout/rolling-update.js';
import { runPaperCluster, type PaperOldRS, type Row } from './paper-cluster.js';

function rolling(replicas: number, maxSurge: IntOrPercent, maxUnavailable: IntOrPercent) {
  return { type: 'RollingUpdate' as const, params: { replicas, maxSurge, maxUnavailable } };
}

const T = 10;
const everyPod = (delay: number) => () => delay;
const oneOld = (replicas: number): PaperOldRS[] => [{ spec: replicas, createdAt: -100 }];

const rs = (id: number, spec: number, available: number, createdAt: number): RsSnapshot => ({ id, spec, available, createdAt });

/**
 * Each golden row is (t, Σ old spec, new spec, Σ available, pods holding a GPU) after the controllers reached a
 * fixpoint at t. The rows below were computed by hand from rollout-semantics.md §1.4; the derivation of each case
 * is in its comment.
 */
describe('RollingUpdate golden timelines (rollout-semantics.md §6)', () => {
  it('Example 1: replicas 4, 25%/25%, G=0', () => {
    const rows = runPaperCluster({
      strategy: rolling(4, percent(25), percent(25)),
      oldRSs: oneOld(4),
      readyDelay: everyPod(T),
      graceSeconds: 0,
    });
    expect(rows).toEqual<Row[]>([
      [0, 3, 2, 3, 5],
      [10, 1, 4, 3, 5],
      [20, 0, 4, 4, 4],
    ]);
  });

  it('Example 1 with a 30 s grace period: same trajectory, GPUs peak at 8 on [10, 30)', () => {
    const rows = runPaperCluster({
      strategy: rolling(4, percent(25), percent(25)),
      oldRSs: oneOld(4),
      readyDelay: everyPod(T),
      graceSeconds: 30,
    });
    expect(rows).toEqual<Row[]>([
      [0, 3, 2, 3, 6],
      [10, 1, 4, 3, 8],
      [20, 0, 4, 4, 8],
      [30, 0, 4, 4, 7],
      [40, 0, 4, 4, 5],
      [50, 0, 4, 4, 4],
    ]);
  });

  it('Example 2: replicas 4, maxSurge 0, maxUnavailable 1 — one pod at a time, R×T', () => {
    const rows = runPaperCluster({
      strategy: rolling(4, intCount(0), intCount(1)),
      oldRSs: oneOld(4),
      readyDelay: everyPod(T),
      graceSeconds: 0,
    });
    expect(rows).toEqual<Row[]>([
      [0, 3, 1, 3, 4],
      [10, 2, 2, 3, 4],
      [20, 1, 3, 3, 4],
      [30, 0, 4, 3, 4],
      [40, 0, 4, 4, 4],
    ]);
  });

  it('maxSurge 0 still needs spare GPUs while replaced pods terminate (Example 2, G=30)', () => {
    // Same spec trajectory; each deleted old pod holds its GPU 30 s: 3+1+1, 2+2+2, 1+3+3, 0+3+4 (t0 pod gone), …
    const rows = runPaperCluster({
      strategy: rolling(4, intCount(0), intCount(1)),
      oldRSs: oneOld(4),
      readyDelay: everyPod(T),
      graceSeconds: 30,
    });
    expect(rows).toEqual<Row[]>([
      [0, 3, 1, 3, 5],
      [10, 2, 2, 3, 6],
      [20, 1, 3, 3, 7],
      [30, 0, 4, 3, 7],
      [40, 0, 4, 4, 6],
      [50, 0, 4, 4, 5],
      [60, 0, 4, 4, 4],
    ]);
  });

  it('replicas 10 @25%/25% ⇒ surge 3, unavailable 2', () => {
    // minAvailable 8, maxTotal 13. t0: create new 3; same sync 13−8−3 = 2 ⇒ old 8; new 3+min(2,7) = 5; stall.
    // t10: 5 new available ⇒ 13−8−0 = 5, avail 13 ⇒ old 3; new 5+min(5,5) = 10. t20: old 0.
    const rows = runPaperCluster({
      strategy: rolling(10, percent(25), percent(25)),
      oldRSs: oneOld(10),
      readyDelay: everyPod(T),
      graceSeconds: 0,
    });
    expect(rows).toEqual<Row[]>([
      [0, 8, 5, 8, 13],
      [10, 3, 10, 8, 13],
      [20, 0, 10, 10, 10],
    ]);
  });

  it('replicas 3, maxSurge 1, maxUnavailable 0 (ints): surge one, then swap one per T', () => {
    // minAvailable 3, maxTotal 4. t0: new 1, 4−3−1 = 0 stall. Each T: new pod available ⇒ old −1, new +1.
    const rows = runPaperCluster({
      strategy: rolling(3, intCount(1), intCount(0)),
      oldRSs: oneOld(3),
      readyDelay: everyPod(T),
      graceSeconds: 0,
    });
    expect(rows).toEqual<Row[]>([
      [0, 3, 1, 3, 4],
      [10, 2, 2, 3, 4],
      [20, 1, 3, 3, 4],
      [30, 0, 3, 3, 3],
    ]);
  });

  it('replicas 1 @25%/25% ⇒ (1, 0): the single pod is replaced make-before-break (G=30)', () => {
    // ceil(0.25) = 1, floor(0.25) = 0. t0: new 1, 2−1−1 = 0. t10: avail 2 > 1 ⇒ old 0 (GPU held until 40).
    const rows = runPaperCluster({
      strategy: rolling(1, percent(25), percent(25)),
      oldRSs: oneOld(1),
      readyDelay: everyPod(T),
      graceSeconds: 30,
    });
    expect(rows).toEqual<Row[]>([
      [0, 1, 1, 1, 2],
      [10, 0, 1, 1, 2],
      [40, 0, 1, 1, 1],
    ]);
  });

  it('both-zero rounding: replicas 2, maxSurge 0%, maxUnavailable 25% ⇒ unavailable forced to 1', () => {
    // floor(0.5) = 0 and ceil(0) = 0 ⇒ (0, 1), minAvailable 1, maxTotal 2. t0: create 0; 2−1−0 = 1 ⇒ old 1;
    // new 1. t10: avail 2 ⇒ old 0, new 2. t20: second new pod available.
    const rows = runPaperCluster({
      strategy: rolling(2, percent(0), percent(25)),
      oldRSs: oneOld(2),
      readyDelay: everyPod(T),
      graceSeconds: 0,
    });
    expect(rows).toEqual<Row[]>([
      [0, 1, 1, 1, 2],
      [10, 0, 2, 1, 2],
      [20, 0, 2, 2, 2],
    ]);
  });

  it('replicas 10 @30%/10% ⇒ surge 3, unavailable 1', () => {
    // minAvailable 9, maxTotal 13. t0: new 3; 13−9−3 = 1 ⇒ old 9; new 4. t10: 4 available, avail 13 ⇒ old 5,
    // new 8. t20: avail 13 ⇒ old 1, new min(8+4, 10) = 10; 11−9−2 = 0. t30: avail 11 ⇒ old 0.
    const rows = runPaperCluster({
      strategy: rolling(10, percent(30), percent(10)),
      oldRSs: oneOld(10),
      readyDelay: everyPod(T),
      graceSeconds: 0,
    });
    expect(rows).toEqual<Row[]>([
      [0, 9, 4, 9, 13],
      [10, 5, 8, 9, 13],
      [20, 1, 10, 9, 11],
      [30, 0, 10, 10, 10],
    ]);
  });

  it('replicas 10, maxSurge 0, maxUnavailable 30% ⇒ three pods per step, never above 10', () => {
    // (0, 3), minAvailable 7. t0: old 7, new 3. t10: old 4, new 6. t20: old 1, new 9. t30: old 0, new 10.
    const rows = runPaperCluster({
      strategy: rolling(10, intCount(0), percent(30)),
      oldRSs: oneOld(10),
      readyDelay: everyPod(T),
      graceSeconds: 0,
    });
    expect(rows).toEqual<Row[]>([
      [0, 7, 3, 7, 10],
      [10, 4, 6, 7, 10],
      [20, 1, 9, 7, 10],
      [30, 0, 10, 9, 10],
      [40, 0, 10, 10, 10],
    ]);
  });

  it('minReadySeconds as an availability delay: replicas 3, surge 0, unavailable 1, ready 20 s + minReady 10 s', () => {
    const rows = runPaperCluster({
      strategy: rolling(3, intCount(0), intCount(1)),
      oldRSs: oneOld(3),
      readyDelay: everyPod(20 + 10),
      graceSeconds: 0,
    });
    expect(rows).toEqual<Row[]>([
      [0, 2, 1, 2, 3],
      [30, 1, 2, 2, 3],
      [60, 0, 3, 2, 3],
      [90, 0, 3, 3, 3],
    ]);
  });

  it('new pods that never become available stall the rollout at replicas + maxSurge (rolling.go 10/2/3 example)', () => {
    // replicas 10, maxUnavailable 2, maxSurge 3: new 3, old 8, new 5; 13 − 8 − 5 = 0 forever.
    const rows = runPaperCluster({
      strategy: rolling(10, intCount(3), intCount(2)),
      oldRSs: oneOld(10),
      readyDelay: everyPod(Infinity),
      graceSeconds: 0,
    });
    expect(rows).toEqual<Row[]>([[0, 8, 5, 8, 13]]);
  });

  it('one crash-looping new pod: the rollout finishes the spec but stays one pod short of available', () => {
    // Example 1 where the first new pod never becomes available. t10: avail 4, 5−3−1 = 1 ⇒ old 2, new 3.
    // t20: old 1, new 4. t30: 5−3−1 = 1, avail 4 ⇒ old 0. Available stays 3 of 4 (not complete).
    const rows = runPaperCluster({
      strategy: rolling(4, percent(25), percent(25)),
      oldRSs: oneOld(4),
      readyDelay: (ordinal) => (ordinal === 0 ? Infinity : T),
      graceSeconds: 0,
    });
    expect(rows).toEqual<Row[]>([
      [0, 3, 2, 3, 5],
      [10, 2, 3, 3, 5],
      [20, 1, 4, 3, 5],
      [30, 0, 4, 3, 4],
    ]);
  });

  it('maxSurge 1 with no spare GPU deadlocks: the surge pod stays Pending', () => {
    const rows = runPaperCluster({
      strategy: rolling(3, intCount(1), intCount(0)),
      oldRSs: oneOld(3),
      readyDelay: everyPod(T),
      graceSeconds: 30,
      gpuCapacity: 3,
    });
    expect(rows).toEqual<Row[]>([[0, 3, 1, 3, 3]]);
  });

  it('maxSurge 0 on a full cluster progresses one terminated pod at a time: R×(T+G)', () => {
    // Capacity 3, grace 30. t0: old 2 (its pod holds the GPU until 30), new 1 Pending. t30: scheduled, available
    // at 40 ⇒ old 1, new 2 Pending until 70, available 80 ⇒ old 0, new 3 Pending until 110, available 120.
    const rows = runPaperCluster({
      strategy: rolling(3, intCount(0), intCount(1)),
      oldRSs: oneOld(3),
      readyDelay: everyPod(T),
      graceSeconds: 30,
      gpuCapacity: 3,
    });
    expect(rows).toEqual<Row[]>([
      [0, 2, 1, 2, 3],
      [30, 2, 1, 2, 3],
      [40, 1, 2, 2, 3],
      [70, 1, 2, 2, 3],
      [80, 0, 3, 2, 3],
      [110, 0, 3, 2, 3],
      [120, 0, 3, 3, 3],
    ]);
  });

  it('two old ReplicaSets (a rollout interrupted by a new one) are drained oldest first', () => {
    // replicas 4, 25%/25%. A (older) 2, B 2. t0: create C 1, 5−3−1 = 1 ⇒ A 1; C 2. t10: avail 5 ⇒ budget 2 ⇒
    // A 0 and B 1 in the same sync; C 4. t20: B 0.
    const rows = runPaperCluster({
      strategy: rolling(4, percent(25), percent(25)),
      oldRSs: [
        { spec: 2, createdAt: -200 },
        { spec: 2, createdAt: -100 },
      ],
      readyDelay: everyPod(T),
      graceSeconds: 0,
    });
    expect(rows).toEqual<Row[]>([
      [0, 3, 2, 3, 5],
      [10, 1, 4, 3, 5],
      [20, 0, 4, 4, 4],
    ]);
  });

  it('an old ReplicaSet with an unhealthy pod loses that pod first, without spending availability', () => {
    // replicas 4, surge 1, unavailable 1; old spec 4 with 3 available (one old pod broken).
    // t0: create new 1; 5−3−1 = 1 ⇒ cleanup removes the broken pod (old 3); available 3 ≤ 3 ⇒ no more.
    // new 1+min(1,3) = 2; stall (5−3−2 = 0). t10: avail 5 ⇒ old 1, new 4. t20: old 0.
    const rows = runPaperCluster({
      strategy: rolling(4, intCount(1), intCount(1)),
      oldRSs: [{ spec: 4, available: 3, createdAt: -100 }],
      readyDelay: everyPod(T),
      graceSeconds: 0,
    });
    expect(rows).toEqual<Row[]>([
      [0, 3, 2, 3, 5],
      [10, 1, 4, 3, 5],
      [20, 0, 4, 4, 4],
    ]);
  });
});

describe('rolling-update building blocks', () => {
  const d = { replicas: 4, maxSurge: percent(25), maxUnavailable: percent(25) };

  it('newRSNewReplicas grows into the room under replicas + maxSurge, never past replicas', () => {
    expect(newRSNewReplicas(d, [rs(1, 4, 4, 0)], 0)).toBe(1);
    expect(newRSNewReplicas(d, [rs(1, 3, 3, 0), rs(2, 1, 0, 1)], 1)).toBe(2);
    expect(newRSNewReplicas(d, [rs(1, 3, 3, 0), rs(2, 2, 0, 1)], 2)).toBe(2);
    expect(newRSNewReplicas(d, [rs(1, 0, 0, 0), rs(2, 3, 3, 1)], 3)).toBe(4);
  });

  it('reconcileNewReplicaSet scales a new RS above replicas back down', () => {
    expect(reconcileNewReplicaSet(d, [rs(2, 6, 6, 1)], rs(2, 6, 6, 1))).toEqual({ type: 'scaleRS', id: 2, replicas: 4 });
    expect(reconcileNewReplicaSet(d, [rs(2, 4, 4, 1)], rs(2, 4, 4, 1))).toBeNull();
  });

  it('rollingSyncStep at creation returns the creation and the old scale-down of the same sync', () => {
    expect(rollingSyncStep(d, null, [rs(1, 4, 4, 0)])).toEqual([
      { type: 'createNewRS', replicas: 1 },
      { type: 'scaleRS', id: 1, replicas: 3 },
    ]);
    expect(rollingSyncStep(d, rs(2, 1, 0, 1), [rs(1, 3, 3, 0)])).toEqual([{ type: 'scaleRS', id: 2, replicas: 2 }]);
    expect(rollingSyncStep(d, rs(2, 2, 0, 1), [rs(1, 3, 3, 0)])).toEqual([]);
  });

  it('one reconcileOldReplicaSets can scale several old ReplicaSets (cleanup in one, scale-down in another)', () => {
    // replicas 4, surge 1, unavailable 2 ⇒ minAvailable 2, maxTotal 5. A: 1 pod, unavailable; B: 3 available;
    // new 1 (not available). maxScaledDown = 5 − 2 − 1 = 2: cleanup A 1→0, then available 3 > 2 ⇒ B 3→2.
    const wide = { replicas: 4, maxSurge: intCount(1), maxUnavailable: intCount(2) };
    const oldRSs = [rs(2, 3, 3, -100), rs(1, 1, 0, -200)];
    const newRS = rs(3, 1, 0, 0);
    expect(reconcileOldReplicaSets(wide, [...oldRSs, newRS], oldRSs, newRS)).toEqual([
      { type: 'scaleRS', id: 1, replicas: 0 },
      { type: 'scaleRS', id: 2, replicas: 2 },
    ]);
  });

  it("rolling.go's comment cases: unavailable new pods block cleanup; a roll-over clears the broken RS", () => {
    // replicas 10, maxUnavailable 2, maxSurge 3. Case 1: old 8 (a node failure left 7 available), new 5 crash-
    // looping: 13 − 8 − 5 = 0, so not even the unhealthy old pod is removed.
    const d10 = { replicas: 10, maxSurge: intCount(3), maxUnavailable: intCount(2) };
    const old = rs(1, 8, 7, -200);
    const broken = rs(2, 5, 0, -100);
    expect(rollingSyncStep(d10, broken, [old])).toEqual([]);
    // Case 2, "roll over" to a third template: the new RS starts at 0 (13 pods already), newRSUnavailable is 0,
    // so 13 − 8 − 0 = 5 and the crash-looping RS is cleaned up in the creating sync; then the new RS gets 5.
    const healthyOld = rs(1, 8, 8, -200);
    expect(rollingSyncStep(d10, null, [healthyOld, broken])).toEqual([
      { type: 'createNewRS', replicas: 0 },
      { type: 'scaleRS', id: 2, replicas: 0 },
    ]);
    expect(rollingSyncStep(d10, rs(3, 0, 0, 0), [healthyOld, rs(2, 0, 0, -100)])).toEqual([
      { type: 'scaleRS', id: 3, replicas: 5 },
    ]);
  });

  it('cleanup and scale-down respect their budgets and the oldest-first order', () => {
    const oldRSs = [rs(2, 3, 1, -100), rs(1, 2, 1, -200)];
    const { rss, cleaned } = cleanupUnhealthyReplicas(oldRSs, 2);
    expect(cleaned).toBe(2);
    expect(rss.map((r) => [r.id, r.spec])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    // replicas 4 @25%: minAvailable 3; available 3 (old) + 2 (new) = 5 ⇒ scale down 2, oldest first.
    const down = scaleDownOldReplicaSetsForRollingUpdate(d, [rs(2, 2, 2, -100), rs(1, 1, 1, -200)], rs(3, 2, 2, 0));
    expect(down.scaledDown).toBe(2);
    expect(down.rss.map((r) => [r.id, r.spec])).toEqual([
      [1, 0],
      [2, 1],
    ]);
  });
});
