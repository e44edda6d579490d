import { describe, expect, it } from 'vitest';
import { DEFAULT_STORE_LIMITS } from '../../sim/cluster/storage.js';
import { FIXED_PHASES, harness, pool } from './harness.js';

const GiB = 1024 ** 3;
/** A 70B bf16 checkpoint, TP4. */
const MODEL = { name: 'test-70b', params: 70e9, weightBytes: 141e9 };
const TP = 4;

/** Seconds from creation to Ready for `replicas` pods created together on 8 nodes × 8 GPUs. */
function readyTimes(replicas: number): number[] {
  const h = harness({ pools: [pool({ nodes: 8 })] });
  const t = h.template({ model: MODEL, tensorParallel: TP, startupInput: { ...FIXED_PHASES, weightLoad: 'auto', weightSource: 'objectStore' } });
  h.cluster.setReplicas(h.cluster.createReplicaSet(t), replicas);
  h.sim.run(3600);
  return h.cluster.pods.map((p) => h.timeline(p).find(([, e]) => e === 'Ready')?.[0] ?? NaN);
}

describe('weight loads share the object store', () => {
  it('16 TP4 pods loading together take visibly longer to become ready than one alone', () => {
    const { perReader, perNode, aggregate } = DEFAULT_STORE_LIMITS.objectStore;
    const shard = MODEL.weightBytes / TP;
    // Alone: 4 readers on one node, each min(1.2 GiB/s, 6 GiB/s ÷ 4) = 1.2 GiB/s.
    const aloneRate = Math.min(perReader, perNode / TP);
    // Together: bin-packing puts 2 pods (8 readers) on each of the 8 nodes → node share 6/8 = 0.75 GiB/s per reader;
    // 64 readers × 0.75 = 48 GiB/s exceeds the 20 GiB/s store, so every reader gets 20/64 = 0.3125 GiB/s.
    const togetherRate = Math.min(perNode / 8, aggregate / 64);
    expect(aloneRate / GiB).toBeCloseTo(1.2, 9);
    expect(togetherRate / GiB).toBeCloseTo(0.3125, 9);
    const loadAlone = shard / aloneRate; // ≈ 27.4 s
    const loadTogether = shard / togetherRate; // ≈ 105 s: 3.84× as long

    const alone = readyTimes(1);
    const together = readyTimes(16);
    // Everything else is fixed: pull 10, process 5, [load], compile 10, capture 5, kv 5 → engine ready at 35 + load;
    // Ready at the first health probe (10 + 10k) at or after it.
    const readyAfter = (load: number) => 10 + 10 * Math.ceil((25 + load) / 10);
    expect(alone).toEqual([readyAfter(loadAlone)]);
    expect(new Set(together)).toEqual(new Set([readyAfter(loadTogether)]));
    expect(alone[0]).toBe(70);
    expect(together[0]).toBe(150);
    expect(loadTogether / loadAlone).toBeCloseTo(3.84, 2);
  });
});
