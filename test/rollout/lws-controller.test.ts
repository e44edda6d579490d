import { describe, expect, it } from 'vitest';
import type { GroupClusterConfig } from '../../sim/cluster/group-cluster.js';
import { intCount } from '../../sim/config/int-or-percent.js';
import { constant, lognormalFromPercentiles } from '../../sim/engine/distributions.js';
import { runLwsRollout, type LwsRolloutSpec } from '../../sim/rollout/lws-run.js';

const twoNode8 = { size: 2, gpusPerPod: 8, onePodPerNode: true };

function cluster(over: Partial<GroupClusterConfig> = {}): GroupClusterConfig {
  return {
    nodes: 8,
    gpusPerNode: 8,
    shape: { old: twoNode8, new: twoNode8 },
    memberStartup: { old: constant(600), new: constant(600) },
    startupPolicy: 'LeaderCreated',
    restartPolicy: 'RecreateGroupOnPodRestart',
    terminationSeconds: 30,
    ...over,
  };
}

function spec(over: Partial<LwsRolloutSpec> & { maxUnavailable?: number; maxSurge?: number; replicas?: number } = {}): LwsRolloutSpec {
  const { maxUnavailable = 1, maxSurge = 0, replicas = 4, ...rest } = over;
  return {
    cluster: cluster(),
    rollout: { replicas, maxUnavailable: intCount(maxUnavailable), maxSurge: intCount(maxSurge), partition: 0 },
    at: 100,
    duration: 4 * 3600,
    seed: 1,
    ...rest,
  };
}

describe('LWS rollout of two-node groups in the simulation', () => {
  it('defaults (maxUnavailable 1, maxSurge 0): one group at a time, each waits for the GPUs of the one it replaces', () => {
    const r = runLwsRollout(spec());
    expect(r.summary.outcome).toBe('completed');
    // 4 groups × (30 s termination + 600 s start-up), one after the other.
    expect(r.summary.durationSeconds).toBe(4 * 630);
    expect(r.summary.minReadyGroups).toBe(3);
    expect(r.summary.peakGroups).toBe(4);
    // A group's readiness and the next recreation happen at the same instant (one level-triggered sync), so the
    // table shows ❎ ❎ ⏳ ✅ straight after ❎ ❎ ❎ ⏳. Partition 4 is the rollout's first write.
    const rows = r.trace.map((row) => `${row.partition} ${row.groups}`);
    expect(rows.filter((g, i) => rows.indexOf(g) === i)).toEqual([
      '4 ❎ ❎ ❎ ❎',
      '3 ❎ ❎ ❎ ⏳',
      '2 ❎ ❎ ⏳ ✅',
      '1 ❎ ⏳ ✅ ✅',
      '0 ⏳ ✅ ✅ ✅',
      '0 ✅ ✅ ✅ ✅',
    ]);
  });

  it('gang scheduling changes nothing when the groups fit', () => {
    const gang = runLwsRollout(spec({ cluster: cluster({ gangScheduling: true }) }));
    expect(gang.summary).toMatchObject({ outcome: 'completed', durationSeconds: 4 * 630, minReadyGroups: 3 });
  });

  it('a surge group with no spare nodes never binds: with maxUnavailable 0 nothing else moves', () => {
    const r = runLwsRollout(spec({ maxSurge: 1, maxUnavailable: 0 }));
    expect(r.summary.stall).toMatchObject({ blockedBy: 'unschedulable-group', ordinal: 4 });
    expect(r.summary.stall?.suggestion).toMatch(/maxUnavailable to 1/);
    expect(r.summary.minReadyGroups).toBe(4);
  });

  it('maxSurge 1 with two spare nodes: the surge group takes ordinal 4, full capacity is kept, the surge is reclaimed at the end', () => {
    const r = runLwsRollout(spec({ maxSurge: 1, maxUnavailable: 0, cluster: cluster({ nodes: 10 }) }));
    expect(r.summary.outcome).toBe('completed');
    expect(r.summary.minReadyGroups).toBe(4);
    expect(r.summary.peakGroups).toBe(5);
    expect(r.summary.peakGpus).toBe(80);
    expect(r.trace[0].groups).toBe('❎ ❎ ❎ ❎ ⏳');
    expect(r.trace[r.trace.length - 1]).toMatchObject({ replicas: 4, partition: 0, groups: '✅ ✅ ✅ ✅' });
  });

  it('a group is ready only when its slowest member is; LeaderReady starts the workers after the leader', () => {
    const slow = cluster({ memberStartup: { old: constant(600), new: lognormalFromPercentiles(600, 900) } });
    const created = runLwsRollout(spec({ cluster: slow, replicas: 1, seed: 3 }));
    const leaderReady = runLwsRollout(spec({ cluster: { ...slow, startupPolicy: 'LeaderReady' }, replicas: 1, seed: 3 }));
    const fixed = runLwsRollout(spec({ cluster: cluster({ startupPolicy: 'LeaderReady' }), replicas: 1 }));
    // One group on 8 nodes: spare nodes, so no wait for the old group's GPUs; leader 600 s, then the worker 600 s.
    expect(fixed.summary.durationSeconds).toBe(600 + 600);
    expect(created.summary.durationSeconds).toBeGreaterThan(300);
    expect(leaderReady.summary.durationSeconds as number).toBeGreaterThan(created.summary.durationSeconds as number);
  });

  it('RecreateGroupOnPodRestart: one member dying takes its whole group down; None restarts only that pod', () => {
    const failures = [{ t: 50, ordinal: 1, member: 1 }];
    const group = runLwsRollout(spec({ failures, at: 5000 }));
    const none = runLwsRollout(spec({ failures, at: 5000, cluster: cluster({ restartPolicy: 'None' }) }));
    const recreated = group.events.filter((e) => e.event === 'GroupRecreated' && e.t === 50);
    expect(recreated).toHaveLength(1);
    // The recreated group waits for its old pods' GPUs (30 s) and starts both members again; the restarted pod keeps its node.
    expect(group.events.find((e) => e.event === 'GroupReady' && e.ordinal === 1)?.t).toBe(50 + 30 + 600);
    expect(none.events.find((e) => e.event === 'GroupReady' && e.ordinal === 1)?.t).toBe(50 + 600);
  });

  it('a failed member during the rollout recreates its group at its own revision (old stays old)', () => {
    const r = runLwsRollout(spec({ failures: [{ t: 200, ordinal: 0, member: 0 }] }));
    expect(r.events.find((e) => e.event === 'GroupRecreated' && e.t === 200)?.revision).toBe('old');
    expect(r.summary.outcome).toBe('completed');
    expect(r.summary.minReadyGroups).toBe(2);
  });
});

describe('1 × 8 GPUs → 2 × 4 GPUs on distinct nodes, every node full', () => {
  const base = (maxUnavailable: number): LwsRolloutSpec =>
    spec({
      replicas: 8,
      maxUnavailable,
      cluster: cluster({
        nodes: 8,
        shape: { old: { size: 1, gpusPerPod: 8, onePodPerNode: true }, new: { size: 2, gpusPerPod: 4, onePodPerNode: true } },
      }),
    });

  it('deadlocks with the defaults: the first new group holds 4 GPUs of the one freed node and waits forever for a second node', () => {
    const r = runLwsRollout(base(1));
    expect(r.summary.outcome).toBe('stalled');
    expect(r.summary.stall).toMatchObject({ blockedBy: 'unschedulable-group', ordinal: 7 });
    expect(r.summary.stall?.message).toContain('0 of 8 nodes can take one');
    expect(r.summary.stall?.suggestion).toContain('maxUnavailable to 2');
    expect(r.trace[r.trace.length - 1]).toMatchObject({ partition: 7, groups: '❎ ❎ ❎ ❎ ❎ ❎ ❎ ⏳' });
  });

  it('with gang scheduling (a PodGroup per group, LWS KEP-407) it still deadlocks, but the waiting group holds no GPUs', () => {
    const plain = runLwsRollout(base(1));
    const gang = runLwsRollout({ ...base(1), cluster: { ...base(1).cluster, gangScheduling: true } });
    expect(gang.summary.stall).toMatchObject({ blockedBy: 'unschedulable-group', ordinal: 7 });
    expect(gang.summary.stall?.message).toMatch(/gang-scheduled: none of its 2 pods binds/);
    expect(plain.trace[plain.trace.length - 1].gpusHeld).toBe(7 * 8 + 4);
    expect(gang.trace[gang.trace.length - 1].gpusHeld).toBe(7 * 8);
  });

  it('finishes with the suggested maxUnavailable 2: two freed nodes take two new groups', () => {
    const r = runLwsRollout(base(2));
    expect(r.summary.outcome).toBe('completed');
    expect(r.summary.minReadyGroups).toBe(6);
  });
});

describe('a new version that never becomes ready', () => {
  it('holds maxUnavailable groups down and stalls at the first one, with the group named (unready-group)', () => {
    const r = runLwsRollout(spec({ maxUnavailable: 1, cluster: cluster({ newCrashesOnStart: true }) }));
    expect(r.summary.outcome).toBe('stalled');
    expect(r.summary.stall).toMatchObject({ blockedBy: 'unready-group', ordinal: 3 });
    expect(r.summary.minReadyGroups).toBe(3);
    expect(r.trace[r.trace.length - 1]).toMatchObject({ partition: 3, groups: '❎ ❎ ❎ ⏳' });
  });

  it('with maxSurge only, the surge group is the one stuck and every old group keeps serving', () => {
    const r = runLwsRollout(spec({ maxUnavailable: 0, maxSurge: 1, cluster: cluster({ nodes: 10, newCrashesOnStart: true }) }));
    expect(r.summary.stall).toMatchObject({ blockedBy: 'unready-group', ordinal: 4 });
    expect(r.summary.minReadyGroups).toBe(4);
  });
});
