import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../sim/engine/random.js';
import { Simulator } from '../../sim/engine/simulator.js';
import { InputError, InternalError } from '../../sim/errors.js';
import { mirrorOf } from '../../sim/traffic/attempt.js';
import { backoffDelay, ClientLayer, type ClientOptions, type RequestTarget } from '../../sim/traffic/clients.js';
import type { Request } from '../../sim/traffic/request.js';
import { RecordingListener } from './fakes.js';

class ScriptedTarget implements RequestTarget {
  accepted: Request[] = [];
  cancelled: Request[] = [];
  onAccept: (req: Request) => void = () => {};
  accept(req: Request): void {
    this.accepted.push(req);
    this.onAccept(req);
  }
  cancel(req: Request): void {
    this.cancelled.push(req);
  }
}

const NO_LIMITS: ClientOptions = { ttftTimeout: null, timeout: null, retries: null };

function setup(options: Partial<ClientOptions> = {}) {
  const sim = new Simulator();
  const listener = new RecordingListener();
  const client = new ClientLayer(sim, new RandomStreams(3).stream('traffic.retries'), { ...NO_LIMITS, ...options }, listener);
  const target = new ScriptedTarget();
  client.connect(target);
  /** Runs `fn` at simulated time t (tests only: one handler per call). */
  const at = (t: number, fn: () => void) => sim.at(t, sim.handler(fn));
  const arrive = (t = 0) => at(t, () => client.arrive(100, 10, -1, 0));
  return { sim, listener, client, target, at, arrive };
}

describe('client time-outs', () => {
  it('completes without time-outs firing when the answer comes in time', () => {
    const { sim, listener, client, target, at, arrive } = setup({ ttftTimeout: 5, timeout: 20 });
    target.onAccept = (req) => {
      at(sim.now + 1, () => client.firstToken(req, sim.now));
      at(sim.now + 8, () => client.completed(req, sim.now));
    };
    arrive();
    sim.run();
    expect(listener.finals).toEqual([{ logicalId: 1, attempt: 1, at: 8, outcome: 'completed', cause: '' }]);
    expect(target.accepted[0].firstTokenAt).toBe(1);
    expect(target.cancelled).toEqual([]);
    expect(client.inFlight).toBe(0);
  });

  it('without time-outs schedules nothing per attempt: the only events are the test\'s own', () => {
    const { sim, listener, client, target, at, arrive } = setup();
    target.onAccept = (req) => at(sim.now + 3, () => client.completed(req, sim.now));
    for (let i = 0; i < 5; i++) arrive(i);
    sim.run();
    expect(listener.finals.map((f) => f.at)).toEqual([3, 4, 5, 6, 7]);
    // 5 arrivals + 5 completions scripted here; no timer events, armed or cancelled, from the client layer.
    expect(sim.eventsProcessed).toBe(10);
    expect(sim.pending).toBe(0);
    expect(client.inFlight).toBe(0);
  });

  it('times out without a first token, cancels the attempt at the server and ignores late reports', () => {
    const { sim, listener, client, target, at, arrive } = setup({ ttftTimeout: 5, timeout: 20 });
    target.onAccept = (req) => at(sim.now + 7, () => client.completed(req, sim.now));
    arrive(2);
    sim.run();
    expect(listener.finals).toEqual([{ logicalId: 1, attempt: 1, at: 7, outcome: 'timedOut', cause: 'ttft-timeout' }]);
    expect(target.cancelled).toEqual(target.accepted);
    expect(client.inFlight).toBe(0);
  });

  it('times out on the total time-out once the first token came', () => {
    const { sim, listener, client, target, at, arrive } = setup({ ttftTimeout: 5, timeout: 20 });
    target.onAccept = (req) => at(sim.now + 2, () => client.firstToken(req, sim.now));
    arrive();
    sim.run();
    expect(listener.finals).toEqual([{ logicalId: 1, attempt: 1, at: 20, outcome: 'timedOut', cause: 'total-timeout' }]);
  });
});

describe('client retries', () => {
  const backoff = { base: 1, max: 30, jitter: 0 };

  it('backs off exponentially up to max, with ± jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((k) => backoffDelay(k, backoff, 0.5))).toEqual([1, 2, 4, 8, 16, 30, 30]);
    const jittered = { base: 2, max: 30, jitter: 0.2 };
    expect(backoffDelay(1, jittered, 0)).toBeCloseTo(1.6);
    expect(backoffDelay(2, jittered, 0.999999)).toBeCloseTo(4.8, 4);
  });

  it('retries a rejection as new attempts of the same logical request, then gives up after max', () => {
    const { sim, listener, client, target, arrive } = setup({ retries: { max: 2, on: ['rejected'], backoff } });
    target.onAccept = (req) => client.rejected(req, sim.now, 'queue-full');
    arrive(10);
    sim.run();
    expect(target.accepted.map((r) => [r.arrival, r.attempt, r.logicalId, r.firstArrival])).toEqual([
      [10, 1, 1, 10],
      [11, 2, 1, 10],
      [13, 3, 1, 10],
    ]);
    expect(new Set(target.accepted.map((r) => r.id)).size).toBe(3);
    expect(listener.retries).toBe(2);
    expect(listener.finals).toEqual([{ logicalId: 1, attempt: 3, at: 13, outcome: 'rejected', cause: 'queue-full' }]);
  });

  it('draws jittered delays within the bounds', () => {
    const jittered = { base: 1, max: 4, jitter: 0.2 };
    const { sim, client, target, arrive } = setup({ retries: { max: 5, on: ['rejected'], backoff: jittered } });
    target.onAccept = (req) => client.rejected(req, sim.now, 'queue-full');
    arrive();
    sim.run();
    const gaps = target.accepted.slice(1).map((r, i) => r.arrival - target.accepted[i].arrival);
    const nominal = [1, 2, 4, 4, 4];
    gaps.forEach((g, i) => {
      expect(g).toBeGreaterThanOrEqual(nominal[i] * 0.8);
      expect(g).toBeLessThanOrEqual(nominal[i] * 1.2);
    });
    expect(gaps.some((g, i) => g !== nominal[i])).toBe(true);
  });

  it('does not retry outcomes outside `on`', () => {
    const { sim, listener, client, target, at, arrive } = setup({ retries: { max: 2, on: ['timedOut'], backoff } });
    target.onAccept = (req) => at(sim.now + 1, () => client.dropped(req, sim.now, 'sigkill'));
    arrive();
    sim.run();
    expect(listener.retries).toBe(0);
    expect(listener.finals).toEqual([{ logicalId: 1, attempt: 1, at: 1, outcome: 'dropped', cause: 'sigkill' }]);
  });

  it('retries a timed-out attempt, which then completes', () => {
    const { sim, listener, client, target, at, arrive } = setup({
      ttftTimeout: 5,
      retries: { max: 1, on: ['timedOut'], backoff },
    });
    target.onAccept = (req) => {
      if (req.attempt === 2) at(sim.now + 1, () => client.completed(req, sim.now));
    };
    arrive();
    sim.run();
    expect(target.accepted.map((r) => r.arrival)).toEqual([0, 6]);
    expect(listener.finals).toEqual([{ logicalId: 1, attempt: 2, at: 7, outcome: 'completed', cause: '' }]);
  });

  it('reports exactly one final outcome per logical request under random server behaviour', () => {
    const { sim, listener, client, target, at } = setup({
      ttftTimeout: 3,
      timeout: 10,
      retries: { max: 2, on: ['rejected', 'dropped', 'timedOut'], backoff: { base: 0.5, max: 4, jitter: 0.2 } },
    });
    const chaos = new RandomStreams(99).stream('chaos');
    target.onAccept = (req) => {
      const u = chaos.next();
      const later = sim.now + 6 * chaos.next();
      // Servers here ignore cancellation, so reports also arrive for attempts the client gave up on.
      if (u < 0.2) client.rejected(req, sim.now, 'server-not-ready');
      else if (u < 0.3) at(later, () => client.dropped(req, sim.now, 'crash'));
      else if (u < 0.8) {
        at(later, () => client.firstToken(req, sim.now));
        at(later + chaos.next(), () => client.completed(req, sim.now));
      }
    };
    const n = 1500;
    for (let i = 0; i < n; i++) at(i * 0.05, () => client.arrive(50, 5, -1, 0));
    sim.run(40);
    const [arrivedMidRun, settledMidRun] = [listener.arrivals.length, listener.finals.length + client.inFlight];
    sim.run();
    const ids = listener.finals.map((f) => f.logicalId);
    expect(settledMidRun).toBe(arrivedMidRun);
    expect(listener.arrivals.length).toBe(n);
    expect(new Set(ids).size).toBe(n);
    expect(client.inFlight).toBe(0);
    const outcomes = new Set(listener.finals.map((f) => f.outcome));
    expect(outcomes).toEqual(new Set(['completed', 'rejected', 'dropped', 'timedOut']));
    expect(listener.finals.every((f) => f.attempt <= 3)).toBe(true);
    expect(listener.retries).toBe(target.accepted.length - n);
  });
});

describe('client wiring and options', () => {
  it('refuses shadow requests: mirrors belong to the router', () => {
    const { client, target, arrive, sim } = setup();
    arrive();
    sim.run();
    expect(() => client.completed(mirrorOf(target.accepted[0], -1, 0), 1)).toThrow(InternalError);
  });

  it('rejects bad options with their path', () => {
    const make = (options: Partial<ClientOptions>) => () =>
      new ClientLayer(new Simulator(), new RandomStreams(1).stream('r'), { ...NO_LIMITS, ...options }, new RecordingListener(), 'traffic.client');
    expect(make({ ttftTimeout: 0 })).toThrow(/traffic\.client\.ttftTimeout/);
    expect(make({ retries: { max: 1, on: ['rejected'], backoff: { base: 1, max: 2, jitter: 1.5 } } })).toThrow(InputError);
    expect(make({ retries: { max: 1, on: ['rejected'], backoff: { base: 5, max: 2, jitter: 0 } } })).toThrow(
      /traffic\.client\.retries\.backoff\.max: expected at least the base delay/,
    );
  });
});
