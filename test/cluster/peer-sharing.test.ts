/**
 * Shared peer bandwidth (issue 14): pods copying weights from the same serving peer at once share what its GPUs
 * send, as readers on one node share its NIC; copies from different peers do not slow each other.
 */
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../sim/engine/simulator.js';
import { DEFAULT_STORE_LIMITS, NO_SOURCE, SharedStore } from '../../sim/cluster/storage.js';
import { run, scenario, type Doc } from '../validation/scenario-kit.js';

function store(limits = { perReader: 10, perNode: Infinity, aggregate: Infinity, perSourceRank: 10 }) {
  const sim = new Simulator();
  const done: Array<[number, number]> = [];
  const s = new SharedStore(sim, 'peer', limits, { transferDone: (key) => done.push([key, sim.now]) });
  return { sim, s, done };
}

describe('peer copies share the sending pod', () => {
  it('two TP1 copies from one peer get half its rank each; a copy from another peer gets the full rate', () => {
    const { sim, s, done } = store();
    // pods 1 and 2 (on nodes 0 and 1) copy 100 bytes from peer 7; pod 3 (node 2) from peer 8
    s.start(1, 0, 1, 100, 7, 1);
    s.start(2, 1, 1, 100, 7, 1);
    s.start(3, 2, 1, 100, 8, 1);
    sim.run();
    expect(done).toEqual([[3, 10], [1, 20], [2, 20]]);
  });

  it('a TP2 peer sends twice a rank: a TP2 copier alone reads at its own rate, two share it', () => {
    const { sim, s, done } = store();
    s.start(1, 0, 2, 100, 7, 2);
    const join = sim.handler(() => s.start(2, 1, 2, 50, 7, 2));
    sim.at(5, join);
    sim.run();
    // 0–5 s: #1 alone at 10 per rank → 50 left; then 2 × 2 ranks share 20: 5 each → both end at 15
    expect(done).toEqual([[1, 15], [2, 15]]);
  });

  it('the freed share goes back when a copy ends; stores without sending pods ignore the source', () => {
    const { sim, s, done } = store();
    s.start(1, 0, 1, 50, 7, 1);
    s.start(2, 1, 1, 100, 7, 1);
    sim.run();
    // both at 5 until #1 ends at 10 (50 read); #2 then has 50 left at 10 → 15
    expect(done).toEqual([[1, 10], [2, 15]]);
    const plain = store({ perReader: 10, perNode: Infinity, aggregate: Infinity } as never);
    plain.s.start(1, 0, 1, 100, 7, 1);
    plain.s.start(2, 1, 1, 100, 7, 1);
    plain.s.start(3, 2, 1, 100, NO_SOURCE, 0);
    plain.sim.run();
    expect(plain.done.map(([, t]) => t)).toEqual([10, 10, 10]);
    expect(DEFAULT_STORE_LIMITS.peer.perSourceRank).toBe(DEFAULT_STORE_LIMITS.peer.perReader);
  });
});

describe('through a rollout', () => {
  /** 8 × 8B TP1 on two nodes, weights from peers, up to 4 new pods starting at once (maxSurge 1 + maxUnavailable 3). */
  const doc = (storage: Doc) =>
    scenario({
      duration: '900s',
      cluster: { nodePools: [{ name: 'a', gpu: 'h100-80gb', gpusPerNode: 8, nodes: 2 }], autoscaler: 'none', storage },
      startup: { imagePull: 'prepulled', processStart: 'auto', weightLoad: 'auto', compile: 'auto', graphCapture: 'auto', kvProfile: 'auto', warmup: 'auto', weightSource: 'hub', fromPeers: true },
      deployment: { replicas: 8, readinessProbe: { periodSeconds: 1 } },
      traffic: { arrival: { poisson: { rate: '0.5/s' } }, promptTokens: { constant: 100 }, outputTokens: { constant: 10 } },
      rollout: { at: '10s', strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 3 } } },
    });

  it('copies that overlap on one peer take longer than with an unshared peer; the copy count is the same', () => {
    const shared = run(doc({}));
    const unshared = run(doc({ peer: { perSourceRank: 'unlimited' } }));
    const s = shared.summary.startup;
    const u = unshared.summary.startup;
    console.log(`later new pods: ${s.laterNewPodsMeanSeconds} s shared peer, ${u.laterNewPodsMeanSeconds} s unshared`);
    expect(s.peerCopies).toBe(u.peerCopies);
    expect(s.peerCopies).toBeGreaterThan(3);
    // 16 GB at 7.8 GB/s alone ≈ 2 s; the copies that start together all pick the newest serving peer and share it
    expect(s.laterNewPodsMeanSeconds as number).toBeGreaterThan((u.laterNewPodsMeanSeconds as number) + 1);
    expect(s.firstNewPodSeconds).toBe(u.firstNewPodSeconds);
  });
});
