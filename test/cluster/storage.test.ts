import { describe, expect, it } from 'vitest';
import { Simulator } from '../../sim/engine/simulator.js';
import { DEFAULT_STORE_LIMITS, SharedStore, fairReaderRates, hubRequests, stepSecondsAlone, weightLoadSteps } from '../../sim/cluster/storage.js';

describe('fairReaderRates (max-min fair water-filling)', () => {
  it('caps each reader by perReader and by its node share', () => {
    expect(fairReaderRates({ perReader: 2, perNode: 6, aggregate: Infinity }, [1, 4, 6])).toEqual([2, 1.5, 1]);
  });

  it('cuts the largest shares to a common level when the aggregate binds', () => {
    // caps: node A 1 reader at 2, node B 4 readers at 1.5 → demand 8 > 5 → λ: 1·min(2,λ) + 4·min(1.5,λ) = 5 → λ = 1
    expect(fairReaderRates({ perReader: 2, perNode: 6, aggregate: 5 }, [1, 4])).toEqual([1, 1]);
    // a small node share stays whole, the rest split what is left: caps 0.5 (12 readers) and 2 (1 reader), aggregate 7
    const rates = fairReaderRates({ perReader: 2, perNode: 6, aggregate: 7 }, [12, 1]);
    expect(rates[0]).toBe(0.5);
    expect(rates[1]).toBe(1);
  });
});

describe('weightLoadSteps', () => {
  it('reads a shard per TP rank, downloads from the hub first, and prefers the page cache', () => {
    expect(weightLoadSteps('objectStore', 100, 4, 'none')).toEqual([{ source: 'objectStore', readers: 4, bytesPerReader: 25, requests: 0 }]);
    // the download's files are read back from the page cache they were just written to
    expect(weightLoadSteps('hub', 100, 4, 'none')).toEqual([
      { source: 'hub', readers: 1, bytesPerReader: 100, requests: 11 },
      { source: 'pageCache', readers: 4, bytesPerReader: 25, requests: 0 },
    ]);
    expect(weightLoadSteps('hub', 100, 4, 'pageCache')).toEqual([{ source: 'pageCache', readers: 4, bytesPerReader: 25, requests: 0 }]);
    expect(weightLoadSteps('hub', 100, 4, 'disk')).toEqual([{ source: 'nodeLocal', readers: 4, bytesPerReader: 25, requests: 0 }]);
  });

  it('counts hub round trips: the small files one by one, the 5 GB shards eight at a time', () => {
    expect(hubRequests(2.32e9)).toBe(11);
    expect(hubRequests(141e9)).toBe(10 + 4);
    expect(hubRequests(40e9)).toBe(11);
    expect(hubRequests(40.1e9)).toBe(12);
  });

  it('local disk is a node limit: more TP ranks do not read faster than the disk', () => {
    const disk = DEFAULT_STORE_LIMITS.nodeLocal;
    const seconds = (tp: number) => stepSecondsAlone(weightLoadSteps('nodeLocal', 140e9, tp, 'none')[0], disk);
    expect(seconds(4)).toBeCloseTo(140e9 / disk.perNode, 6);
    expect(seconds(8)).toBeCloseTo(seconds(4), 6);
    expect(seconds(1)).toBeGreaterThan(seconds(2));
  });
});

describe('SharedStore (processor sharing)', () => {
  it('re-times every transfer when one joins and when one leaves', () => {
    const sim = new Simulator();
    const done: Array<[number, number]> = [];
    const store = new SharedStore(sim, 'objectStore', { perReader: 10, perNode: Infinity, aggregate: 10 }, {
      transferDone: (key) => done.push([key, sim.now]),
    });
    const join = sim.handler(() => store.start(2, 1, 1, 50));
    store.start(1, 0, 1, 100);
    sim.at(5, join);
    sim.run();
    // 0–5 s: #1 alone at 10 → 50 left. Then both at 5: #1 (50) and #2 (50) end together at 15, reported in start order.
    expect(done).toEqual([
      [1, 15],
      [2, 15],
    ]);
  });

  it('an aborted transfer frees its share at once', () => {
    const sim = new Simulator();
    const done: Array<[number, number]> = [];
    const store = new SharedStore(sim, 'hub', { perReader: Infinity, perNode: Infinity, aggregate: 10 }, {
      transferDone: (key) => done.push([key, sim.now]),
    });
    store.start(1, 0, 1, 100);
    store.start(2, 1, 1, 100);
    const abort = sim.handler(() => store.abort(2));
    sim.at(10, abort);
    sim.run();
    // 0–10 s at 5 each → #1 has 50 left, then alone at 10 → done at 15.
    expect(done).toEqual([[1, 15]]);
    expect(store.activeCount).toBe(0);
  });
});
