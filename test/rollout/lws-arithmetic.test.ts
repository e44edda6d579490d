import { describe, expect, it } from 'vitest';
import { intCount, percent } from '../../sim/config/int-or-percent.js';
import {
  contiguousReadyTail,
  lwsBudgets,
  lwsRolloutComplete,
  lwsRollingUpdateParameters,
  rollingUpdatePartition,
  rollingUpdateReplicas,
  unreadyTargets,
  type GroupState,
  type LeaderSts,
  type LwsRollingConfig,
} from '../../sim/rollout/lws-arithmetic.js';
import { renderGroups, stsGroupsToRecreate, stsReconcile } from '../../sim/cluster/pod-group.js';

const g = (ready: boolean, updated: boolean): GroupState => ({ ready, updated });
const OLD = g(true, false);
const NEW = g(true, true);
const STARTING = g(false, true);

/**
 * A paper cluster of groups: the LWS reconcile (lwsRollingUpdateParameters) followed by the leader StatefulSet's
 * reaction (stsReconcile), with groups becoming ready only when the test says so.
 */
class PaperLws {
  sts: LeaderSts;
  states: GroupState[];
  private replicasAtStart: number;
  constructor(private config: LwsRollingConfig) {
    this.sts = { replicas: config.replicas, partition: 0 };
    this.states = Array.from({ length: config.replicas }, () => NEW);
    this.replicasAtStart = config.replicas;
  }
  updateTemplate(): void {
    this.states = this.states.map((s) => g(s.ready, false));
    this.reconcile(true);
  }
  ready(...ordinals: number[]): void {
    for (const i of ordinals) this.states[i] = g(true, this.states[i].updated);
  }
  reconcile(templateChanged = false): void {
    this.sts = lwsRollingUpdateParameters({
      config: this.config,
      sts: this.sts,
      states: this.states,
      templateChanged,
      replicasAtStart: this.replicasAtStart,
    });
    this.states = [...stsReconcile(this.states, this.sts, lwsBudgets(this.config).stsMaxUnavailable).states];
  }
  scale(replicas: number): void {
    this.config = { ...this.config, replicas };
  }
  row(): [number, number, string] {
    return [this.sts.partition, this.sts.replicas, renderGroups(this.states)];
  }
}

describe('the rollout trace of the LWS documentation (concepts/rollout-strategy: 4 replicas, maxUnavailable 2, maxSurge 2)', () => {
  it('reproduces the nine stages: partition, StatefulSet replicas and every group, stage by stage', () => {
    const lws = new PaperLws({ replicas: 4, maxUnavailable: intCount(2), maxSurge: intCount(2), partition: 0 });
    const rows: [number, number, string][] = [];
    rows.push(lws.row()); // Stage 1: before the rolling update
    lws.updateTemplate();
    rows.push(lws.row()); // Stage 2: rolling update started, two surge groups at the highest ordinals
    lws.reconcile();
    rows.push(lws.row()); // Stage 3: partition 4 → 2
    lws.ready(4);
    lws.reconcile();
    rows.push(lws.row()); // Stage 4: the last group is not ready, the partition stays
    lws.ready(5);
    lws.reconcile();
    rows.push(lws.row()); // Stage 5: partition 2 → 0
    lws.ready(2, 3);
    rows.push(lws.row()); // Stage 6: ready (observed before the reconcile)
    lws.reconcile();
    rows.push(lws.row()); // Stage 7: both surge groups reclaimed at once
    lws.ready(1);
    lws.reconcile();
    rows.push(lws.row()); // Stage 8
    lws.ready(0);
    lws.reconcile();
    rows.push(lws.row()); // Stage 9: completed
    expect(rows).toEqual([
      [0, 4, '✅ ✅ ✅ ✅'],
      [4, 6, '❎ ❎ ❎ ❎ ⏳ ⏳'],
      [2, 6, '❎ ❎ ⏳ ⏳ ⏳ ⏳'],
      [2, 6, '❎ ❎ ⏳ ⏳ ✅ ⏳'],
      [0, 6, '⏳ ⏳ ⏳ ⏳ ✅ ✅'],
      [0, 6, '⏳ ⏳ ✅ ✅ ✅ ✅'],
      [0, 4, '⏳ ⏳ ✅ ✅'],
      [0, 4, '⏳ ✅ ✅ ✅'],
      [0, 4, '✅ ✅ ✅ ✅'],
    ]);
    expect(lwsRolloutComplete({ replicas: 4, maxUnavailable: intCount(2), maxSurge: intCount(2), partition: 0 }, lws.sts, lws.states)).toBe(true);
  });

  it('with the defaults (maxUnavailable 1, maxSurge 0) rolls one group at a time from the highest ordinal down', () => {
    const lws = new PaperLws({ replicas: 3, maxUnavailable: intCount(1), maxSurge: intCount(0), partition: 0 });
    lws.updateTemplate();
    const rows = [lws.row()];
    for (const i of [2, 1, 0]) {
      lws.reconcile();
      rows.push(lws.row());
      lws.ready(i);
    }
    lws.reconcile();
    rows.push(lws.row());
    expect(rows).toEqual([
      [3, 3, '❎ ❎ ❎'],
      [2, 3, '❎ ❎ ⏳'],
      [1, 3, '❎ ⏳ ✅'],
      [0, 3, '⏳ ✅ ✅'],
      [0, 3, '✅ ✅ ✅'],
    ]);
  });

  it('a ready group behind an unready one does not move the partition (only the contiguous tail counts)', () => {
    const lws = new PaperLws({ replicas: 4, maxUnavailable: intCount(2), maxSurge: intCount(0), partition: 0 });
    lws.updateTemplate();
    lws.reconcile();
    expect(lws.row()).toEqual([2, 4, '❎ ❎ ⏳ ⏳']);
    lws.ready(2);
    lws.reconcile();
    expect(lws.row()).toEqual([2, 4, '❎ ❎ ✅ ⏳']);
    lws.ready(3);
    lws.reconcile();
    expect(lws.row()).toEqual([0, 4, '⏳ ⏳ ✅ ✅']);
  });

  it('spec.partition holds the groups below it at the old revision (a staged / canary rollout)', () => {
    const lws = new PaperLws({ replicas: 4, maxUnavailable: intCount(1), maxSurge: intCount(1), partition: 2 });
    lws.updateTemplate();
    for (let i = 0; i < 6; i++) {
      lws.reconcile();
      lws.ready(...lws.states.map((_, j) => j));
    }
    lws.reconcile();
    expect(lws.sts.partition).toBe(2);
    expect(renderGroups(lws.states.slice(0, 4))).toBe('❎ ❎ ✅ ✅');
    // With a partition and maxSurge, the surge group stays until the partition reaches 0 (the API's comment).
    expect(lws.sts.replicas).toBe(5);
  });

  it('scaling down in the middle of a rollout keeps the partition within the burst', () => {
    const lws = new PaperLws({ replicas: 4, maxUnavailable: intCount(1), maxSurge: intCount(1), partition: 0 });
    lws.updateTemplate();
    lws.scale(2);
    lws.reconcile();
    expect(lws.sts.partition).toBeLessThanOrEqual(3);
    expect(lws.sts.replicas).toBe(3);
  });
});

describe('LWS budgets and helpers', () => {
  it('maxSurge rounds up and is capped at replicas, maxUnavailable rounds down; the StatefulSet gets their sum', () => {
    expect(lwsBudgets({ replicas: 10, maxUnavailable: percent(25), maxSurge: percent(25), partition: 0 })).toEqual({
      maxSurge: 3,
      maxUnavailable: 2,
      burstReplicas: 13,
      stsMaxUnavailable: 5,
    });
    expect(lwsBudgets({ replicas: 2, maxUnavailable: intCount(1), maxSurge: intCount(5), partition: 0 }).maxSurge).toBe(2);
  });

  it('keeps the whole burst while more targets are unready than maxSurge, then only the surge still needed', () => {
    expect(rollingUpdateReplicas(4, 2, 2, 4)).toBe(6);
    expect(rollingUpdateReplicas(4, 2, 2, 3)).toBe(6);
    expect(rollingUpdateReplicas(4, 2, 2, 2)).toBe(4);
    expect(rollingUpdateReplicas(5, 2, 1, 2)).toBe(6);
    // With maxUnavailable 0 a surge group stays while any target is unready: reclaiming it earlier (as soon as the
    // unready count fits in maxSurge) would take a serving group away, the "surge reclaimed too early" report.
    expect(rollingUpdateReplicas(5, 2, 0, 1)).toBe(6);
    expect(rollingUpdateReplicas(5, 2, 0, 0)).toBe(5);
  });

  it('counts unready targets, the contiguous ready tail, and raises the partition over unready groups below the step', () => {
    expect(unreadyTargets([OLD, NEW, STARTING], 3)).toBe(2);
    expect(unreadyTargets([NEW, NEW], 3)).toBe(1);
    expect(contiguousReadyTail([OLD, STARTING, NEW, NEW])).toBe(2);
    // 5 groups, step 1, tail 1 ⇒ step partition 3; group 0 unready below it ⇒ 4 (maxUnavailable would be broken).
    expect(rollingUpdatePartition([g(false, false), OLD, OLD, OLD, NEW], 1, 4)).toBe(4);
    // Step partition 3, raised to 4 by unready group 2 below it, lowered back over unready group 3 (updating it costs
    // nothing), never below the step partition.
    expect(rollingUpdatePartition([OLD, OLD, g(false, false), g(false, false)], 1, 4)).toBe(3);
    expect(rollingUpdatePartition([OLD, OLD, OLD, NEW], 2, 1)).toBe(1);
  });

  it('the StatefulSet recreates outdated groups from the highest ordinal while fewer than its budget are unready', () => {
    expect(stsGroupsToRecreate([OLD, OLD, OLD, OLD, STARTING, STARTING], 2, 4)).toEqual([3, 2]);
    expect(stsGroupsToRecreate([OLD, OLD, OLD, OLD, STARTING, STARTING], 2, 3)).toEqual([3]);
    expect(stsGroupsToRecreate([OLD, OLD, OLD, OLD], 4, 1)).toEqual([]);
    const changes = stsReconcile([OLD, OLD, NEW, NEW, NEW, NEW], { replicas: 4, partition: 0 }, 4);
    expect(changes.deleted).toEqual([5, 4]);
    expect(changes.recreated).toEqual([1, 0]);
  });
});
