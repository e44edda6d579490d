import { describe, expect, it } from 'vitest';
import { recreateSyncStep } from '../../sim/rollout/recreate.js';
import { runPaperCluster, type Row } from './paper-cluster.js';

describe('Recreate (rollout-semantics.md §1.5)', () => {
  it('waits for every old pod to be gone, terminating ones included, before creating the new RS', () => {
    // replicas 3, grace 30: old → 0 at t0, the pods hold their GPUs until 30, new 3 created at 30, available 40.
    const rows = runPaperCluster({
      strategy: { type: 'Recreate', replicas: 3 },
      oldRSs: [{ spec: 3, createdAt: -100 }],
      readyDelay: () => 10,
      graceSeconds: 30,
    });
    expect(rows).toEqual<Row[]>([
      [0, 0, 0, 0, 3],
      [30, 0, 3, 0, 3],
      [40, 0, 3, 3, 3],
    ]);
  });

  it('with no grace period the new RS is created in the same instant', () => {
    const rows = runPaperCluster({
      strategy: { type: 'Recreate', replicas: 3 },
      oldRSs: [{ spec: 3, createdAt: -100 }],
      readyDelay: () => 10,
      graceSeconds: 0,
    });
    expect(rows).toEqual<Row[]>([
      [0, 0, 3, 0, 3],
      [10, 0, 3, 3, 3],
    ]);
  });

  it('scales every active old RS down in one sync, then scales an existing new RS to replicas', () => {
    const old = [
      { id: 1, spec: 2, available: 2, createdAt: -200 },
      { id: 2, spec: 0, available: 0, createdAt: -150 },
      { id: 3, spec: 1, available: 0, createdAt: -100 },
    ];
    expect(recreateSyncStep(4, null, old, 3)).toEqual([
      { type: 'scaleRS', id: 1, replicas: 0 },
      { type: 'scaleRS', id: 3, replicas: 0 },
    ]);
    const stopped = old.map((rs) => ({ ...rs, spec: 0, available: 0 }));
    expect(recreateSyncStep(4, null, stopped, 1)).toEqual([]);
    expect(recreateSyncStep(4, { id: 9, spec: 1, available: 0, createdAt: 0 }, stopped, 0)).toEqual([
      { type: 'scaleRS', id: 9, replicas: 4 },
    ]);
    expect(recreateSyncStep(4, { id: 9, spec: 4, available: 0, createdAt: 0 }, stopped, 0)).toEqual([]);
  });
});
