import { describe, expect, it } from 'vitest';
import { constant, exponential } from '../../sim/engine/distributions.js';
import { RandomStreams } from '../../sim/engine/random.js';
import { Simulator } from '../../sim/engine/simulator.js';
import { InputError } from '../../sim/errors.js';
import { FifoQueue, QueueStation, type QueueStationConfig } from '../../sim/serving/queue-station.js';
import { RecordingSink, makeRequest } from './replica-harness.js';

function setup(config: Partial<QueueStationConfig> = {}) {
  const sim = new Simulator();
  const sink = new RecordingSink();
  const station = new QueueStation(sim, sink, { serviceTime: constant(1), concurrency: 2, ...config }, new RandomStreams(1).stream('server.service'));
  const at = (time: number, action: () => void) => sim.at(time, sim.handler(action));
  return { sim, sink, station, at };
}

describe('QueueStation', () => {
  it('serves FIFO on n servers: first token at service start, completion at its end', () => {
    const { sim, sink, station } = setup();
    const reqs = [0, 1, 2, 3, 4].map((id) => makeRequest(id, 0, 10, 7));
    for (const r of reqs) station.submit(r);
    expect([station.runningCount(), station.waitingCount(), station.outstanding()]).toEqual([2, 3, 5]);
    expect(station.hasRoom()).toBe(false);
    sim.run();
    expect(reqs.map((r) => r.firstTokenAt)).toEqual([0, 0, 1, 1, 2]);
    expect(reqs.map((r) => r.finishedAt)).toEqual([1, 1, 2, 2, 3]);
    expect(reqs.every((r) => r.tokensStreamed === 7)).toBe(true);
    expect(sink.count('completed')).toBe(5);
    expect([station.outstanding(), station.kvUsage(), station.hasPrefix(0), station.hasRoom()]).toEqual([0, 0, false, true]);
  });

  it("rejects 'queue-full' beyond maxWaiting; maxWaiting 0 is a loss system", () => {
    const bounded = setup({ concurrency: 1, maxWaiting: 1 });
    for (let id = 0; id < 3; id++) bounded.station.submit(makeRequest(id, 0, 1, 1));
    bounded.sim.run();
    expect([0, 1, 2].map((id) => bounded.sink.outcomes.get(id)?.kind)).toEqual(['completed', 'completed', 'rejected']);
    expect(bounded.sink.outcomes.get(2)).toMatchObject({ cause: 'queue-full', at: 0 });

    const loss = setup({ concurrency: 2, maxWaiting: 0 });
    for (let id = 0; id < 3; id++) loss.station.submit(makeRequest(id, 0, 1, 1));
    expect(loss.sink.outcomes.get(2)?.cause).toBe('queue-full');
  });

  it('a cancelled request frees its server for the next in line, silently', () => {
    const { sim, sink, station, at } = setup({ concurrency: 1 });
    const [a, b, c] = [0, 1, 2].map((id) => makeRequest(id, 0, 1, 1));
    for (const r of [a, b, c]) station.submit(r);
    at(0.25, () => {
      station.cancel(b); // waiting
      station.cancel(a); // in service: c starts now
    });
    sim.run();
    expect([...sink.outcomes.keys()]).toEqual([2]);
    expect([c.firstTokenAt, c.finishedAt]).toEqual([0.25, 1.25]);
  });

  it('abortAll drops those in service and rejects those waiting; idle listeners hear it once', () => {
    const { sim, sink, station, at } = setup({ concurrency: 1 });
    let idle = 0;
    station.onIdle(() => idle++);
    for (let id = 0; id < 3; id++) station.submit(makeRequest(id, 0, 1, 5));
    at(0.5, () => station.abortAll('sigkill', 'aborted-before-start'));
    sim.run();
    expect(sink.outcomes.get(0)).toMatchObject({ kind: 'dropped', cause: 'sigkill', tokensStreamed: 1, at: 0.5 });
    expect(sink.outcomes.get(1)).toMatchObject({ kind: 'rejected', cause: 'aborted-before-start' });
    expect(sink.outcomes.get(2)).toMatchObject({ kind: 'rejected', cause: 'aborted-before-start' });
    expect(idle).toBe(1);
    expect(sim.now).toBe(0.5);
  });

  it('a request submitted from a completion callback queues behind those already waiting', () => {
    const sim = new Simulator();
    const sink = new RecordingSink();
    const station = new QueueStation(sim, sink, { serviceTime: constant(1), concurrency: 1 }, new RandomStreams(1).stream('s'));
    const late = makeRequest(9, 1, 1, 1);
    const completed = sink.completed.bind(sink);
    sink.completed = (req, at) => {
      completed(req, at);
      if (req.id === 0) station.submit(late);
    };
    const waiting = makeRequest(1, 0, 1, 1);
    station.submit(makeRequest(0, 0, 1, 1));
    station.submit(waiting);
    sim.run();
    expect(waiting.firstTokenAt).toBe(1);
    expect(late.firstTokenAt).toBe(2);
  });

  it('draws service times from its own stream', () => {
    const run = () => {
      const { sim, station } = setup({ serviceTime: exponential(2), concurrency: 1 });
      const r = makeRequest(0, 0, 1, 1);
      station.submit(r);
      sim.run();
      return r.finishedAt;
    };
    const expected = exponential(2).sample(new RandomStreams(1).stream('server.service'));
    expect(run()).toBe(expected);
  });

  it('rejects bad sizes with the field named', () => {
    expect(() => setup({ concurrency: 0 })).toThrow(InputError);
    expect(() => setup({ concurrency: 1.5 })).toThrow(/server\.concurrency/);
    expect(() => setup({ maxWaiting: -1 })).toThrow(/server\.maxWaiting/);
  });
});

describe('FifoQueue', () => {
  it('keeps FIFO order through removals, insertions at the front and growth across the ring edge', () => {
    const q = new FifoQueue<{ n: number }>();
    const items = Array.from({ length: 100 }, (_, n) => ({ n }));
    for (let i = 0; i < 10; i++) q.pushBack(items[i]);
    for (let i = 0; i < 5; i++) q.shift(); // the ring's head moves on
    q.pushFront(items[50]);
    expect(q.remove(items[7])).toBe(true);
    expect(q.remove(items[7])).toBe(false);
    for (let i = 10; i < 40; i++) q.pushBack(items[i]); // grows while wrapped
    q.pushFront(items[60]);
    expect(q.size).toBe(1 + 1 + 4 + 30);
    expect(q.peek()).toBe(items[60]);
    const out: { n: number }[] = [];
    q.drainInto(out);
    expect(out.map((x) => x.n)).toEqual([60, 50, 5, 6, 8, 9, ...Array.from({ length: 30 }, (_, i) => 10 + i)]);
    expect(q.size).toBe(0);
    expect(q.shift()).toBeUndefined();
  });

  it('skips holes left by removals at the head', () => {
    const q = new FifoQueue<{ n: number }>();
    const [a, b, c] = [{ n: 1 }, { n: 2 }, { n: 3 }];
    q.pushBack(a);
    q.pushBack(b);
    q.pushBack(c);
    q.remove(a);
    q.remove(b);
    expect(q.peek()).toBe(c);
    expect(q.shift()).toBe(c);
    expect(q.peek()).toBeUndefined();
  });
});
