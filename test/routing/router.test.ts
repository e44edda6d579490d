import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../sim/engine/random.js';
import { Simulator } from '../../sim/engine/simulator.js';
import { InputError } from '../../sim/errors.js';
import { routerOptions, zRouting } from '../../sim/routing/config.js';
import { Router, type RouterOptions } from '../../sim/routing/router.js';
import { firstAttempt } from '../../sim/traffic/attempt.js';
import type { ShadowListener } from '../../sim/traffic/outcome.js';
import type { Request } from '../../sim/traffic/request.js';
import { FakeEndpoint, FakeEndpoints, pods, RecordingSink } from './fakes.js';

class ShadowRecorder implements ShadowListener {
  copies: Request[] = [];
  done: Request[] = [];
  failures: { req: Request; outcome: string; cause: string }[] = [];
  mirrored(req: Request): void {
    this.copies.push(req);
  }
  completed(req: Request): void {
    this.done.push(req);
  }
  failed(req: Request, _at: number, outcome: string, cause: string): void {
    this.failures.push({ req, outcome, cause });
  }
}

function setup(routing: unknown = {}, old = pods(1, 4), new_: FakeEndpoint[] = []) {
  const sim = new Simulator();
  const source = new FakeEndpoints(old, new_);
  const client = new RecordingSink();
  const shadow = new ShadowRecorder();
  const router = new Router(sim, new RandomStreams(17), source, client, routerOptions(zRouting.parse(routing)), shadow);
  let lastId = 0;
  const send = (group = -1): Request => {
    const req = firstAttempt(++lastId, sim.now, 500, 50, group, group < 0 ? 0 : 100);
    router.accept(req);
    return req;
  };
  return { sim, source, client, shadow, router, send };
}

const loads = (endpoints: FakeEndpoint[]) => endpoints.map((e) => e.load);
const shares = (endpoints: FakeEndpoint[], n: number) => endpoints.map((e) => e.accepted.length / n);

describe('endpoint policies', () => {
  it('least-outstanding picks the least loaded, spreading ties', () => {
    const { send, source } = setup();
    source.old.forEach((e, i) => (e.load = [5, 2, 7, 2][i]));
    const picked = [send(), send()].map((r) => r.podId);
    expect(picked.sort()).toEqual([2, 4]);
    expect(loads(source.old)).toEqual([5, 3, 7, 3]);
    expect([2, 4]).toContain(send().podId);
    const idle = setup();
    for (let i = 0; i < 8; i++) {
      const req = idle.send();
      idle.router.completed(req, 0); // finishes at once: every pick is a 4-way tie
      idle.source.old.find((e) => e.podId === req.podId)!.load--;
    }
    expect(idle.source.old.map((e) => e.accepted.length)).toEqual([2, 2, 2, 2]);
  });

  it('round-robin cycles and random spreads evenly', () => {
    const rr = setup({ policy: 'round-robin' });
    expect([rr.send(), rr.send(), rr.send(), rr.send(), rr.send()].map((r) => r.podId)).toEqual([1, 2, 3, 4, 1]);
    const random = setup({ policy: 'random' });
    for (let i = 0; i < 8000; i++) random.send();
    shares(random.source.old, 8000).forEach((s) => expect(Math.abs(s - 0.25)).toBeLessThan(0.025));
  });

  it('power of two choices never picks the most loaded of three and favours the least', () => {
    const { send, source } = setup({ policy: 'power-of-two' }, pods(1, 3));
    const counts = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      source.old.forEach((e, j) => (e.load = [0, 5, 10][j]));
      const pod = send().podId;
      counts.set(pod, (counts.get(pod) ?? 0) + 1);
    }
    expect(counts.get(3)).toBeUndefined();
    // Pod 1 wins whenever it is one of the two: 2/3 of the time.
    expect(Math.abs((counts.get(1) ?? 0) / 3000 - 2 / 3)).toBeLessThan(0.04);
  });

  it('prefix-aware prefers a pod with the prefix cached, else a stable hash of the group', () => {
    const { send, source } = setup({ policy: 'prefix-aware' }, pods(1, 6));
    source.old[4].cached.add(7);
    expect(send(7).podId).toBe(5);
    const home = send(3).podId;
    expect([send(3), send(3), send(3)].map((r) => r.podId)).toEqual([home, home, home]);
    const homes = new Set(Array.from({ length: 40 }, (_, g) => send(100 + g).podId));
    expect(homes.size).toBeGreaterThan(3);
    const least = Math.min(...loads(source.old));
    const ungrouped = send();
    expect(source.old.find((e) => e.podId === ungrouped.podId)!.load - 1).toBe(least); // no group: least loaded
  });

  it('prefix-aware moves only the groups of a removed pod', () => {
    const { send, source } = setup({ policy: 'prefix-aware', prefixAware: { maxImbalance: 1e6 } }, pods(1, 6));
    const before = Array.from({ length: 60 }, (_, g) => send(g).podId);
    source.old = source.old.filter((e) => e.podId !== 3);
    const after = Array.from({ length: 60 }, (_, g) => send(g).podId);
    before.forEach((pod, g) => (pod === 3 ? expect(after[g]).not.toBe(3) : expect(after[g]).toBe(pod)));
  });

  it('prefix-aware gives up affinity when the pod is loaded beyond the threshold', () => {
    const { send, source } = setup({ policy: 'prefix-aware', prefixAware: { maxImbalance: 4 } }, pods(1, 3));
    source.old[0].cached.add(9);
    source.old[0].load = 4;
    expect(send(9).podId).toBe(1); // 4 above the least loaded: still affine
    expect(send(9).podId).not.toBe(1); // 5 above: the least loaded wins
  });
});

describe('version split', () => {
  it('splits by weight within tolerance', () => {
    const { send, router, source } = setup({}, pods(1, 3), pods(11, 3));
    router.setSplit([
      { version: 'old', weight: 90 },
      { version: 'new', weight: 10 },
    ]);
    const reqs = Array.from({ length: 20_000 }, () => send());
    const toNew = reqs.filter((r) => r.version === 'new').length / reqs.length;
    expect(Math.abs(toNew - 0.1)).toBeLessThan(0.01);
    expect(reqs.every((r) => (r.version === 'new') === r.podId > 10)).toBe(true);
    expect(source.new_.every((e) => e.accepted.length > 0)).toBe(true);
  });

  it('switches all traffic to one version (blue-green) and rejects with no-endpoint rather than falling back', () => {
    const { send, router, client } = setup({}, pods(1, 2), []);
    router.setSplit([{ version: 'new', weight: 100 }]);
    const req = send();
    expect(client.of('rejected')).toEqual([{ kind: 'rejected', req, at: 0, cause: 'no-endpoint' }]);
    expect(req.podId).toBe(-1);
  });

  it('pods mode spreads over both versions and labels each request with its pod version', () => {
    const { send, router, source } = setup({ policy: 'round-robin' }, pods(1, 3), pods(11, 1));
    router.setSplit('pods');
    const reqs = Array.from({ length: 400 }, () => send());
    expect(reqs.filter((r) => r.version === 'new').length).toBe(100);
    expect(reqs.every((r) => (r.version === 'new') === r.podId > 10)).toBe(true);
    expect(source.old.map((e) => e.accepted.length)).toEqual([100, 100, 100]);
  });

  it('rejects bad weights', () => {
    const { router } = setup();
    expect(() => router.setSplit([{ version: 'old', weight: 0 }])).toThrow(InputError);
    expect(() => router.setSplit([{ version: 'old', weight: -1 }, { version: 'new', weight: 5 }])).toThrow(/split\[0\]\.weight/);
  });
});

describe('proxying the servers’ reports', () => {
  it('forwards client requests, cancels at the endpoint that took the request', () => {
    const { send, router, client, source } = setup();
    const a = send();
    const b = send();
    router.firstToken(a, 1);
    router.completed(a, 2);
    router.cancel(b);
    router.cancel(b); // twice: no effect
    expect(client.events.map((e) => [e.kind, e.req.id])).toEqual([
      ['firstToken', a.id],
      ['completed', a.id],
    ]);
    const taker = source.old.find((e) => e.podId === b.podId)!;
    expect(taker.cancelled).toEqual([b]);
  });
});

describe('central queue (gateway flow control)', () => {
  it('holds requests while no endpoint has room and releases them FIFO', () => {
    const { send, router, source } = setup({ policy: 'central-queue' }, pods(1, 2));
    source.old.forEach((e) => (e.room = false));
    const held = [send(), send(), send()];
    expect(router.queued).toBe(3);
    expect(held.every((r) => r.podId === -1)).toBe(true);
    source.old[1].room = true;
    router.notifyCapacity();
    expect(router.queued).toBe(0);
    expect(source.old[1].accepted).toEqual(held);
  });

  it('releases one at a time as room appears, oldest first, and new arrivals wait behind', () => {
    const { send, router, source } = setup({ policy: 'central-queue' }, pods(1, 1));
    const pod = source.old[0];
    pod.room = false;
    const [a, b] = [send(), send()];
    pod.room = true;
    const c = send(); // room now, but a and b came first
    expect(pod.accepted).toEqual([]);
    router.notifyCapacity();
    expect(pod.accepted).toEqual([a, b, c]);
  });

  it('rejects beyond maxSize and after maxWait', () => {
    const { sim, send, router, client, source } = setup({ policy: 'central-queue', centralQueue: { maxSize: 2, maxWait: '5s' } });
    source.old.forEach((e) => (e.room = false));
    const hold = sim.handler(() => send());
    sim.at(0, hold);
    sim.at(1, hold);
    sim.at(2, hold);
    sim.run(5.5);
    expect(client.of('rejected').map((e) => [e.req.arrival, e.at, (e as { cause: string }).cause])).toEqual([
      [2, 2, 'gateway-queue-full'],
      [0, 5, 'gateway-queue-full'],
    ]);
    expect(router.queued).toBe(1);
    sim.run();
    expect(router.queued).toBe(0);
    expect(client.of('rejected').map((e) => e.at)).toEqual([2, 5, 6]);
  });

  it('forgets a cancelled request and refuses the queue of a version left without endpoints', () => {
    const { send, router, client, source } = setup({ policy: 'central-queue' }, pods(1, 1));
    source.old[0].room = false;
    const [a, b, c] = [send(), send(), send()];
    router.cancel(b);
    expect(router.queued).toBe(2);
    source.old = [];
    router.notifyCapacity();
    expect(client.of('rejected').map((e) => e.req)).toEqual([a, c]);
    expect(router.queued).toBe(0);
  });
});

describe('mirroring', () => {
  it('copies the share to the mirror version; mirror outcomes never reach the client', () => {
    const { send, router, client, shadow, source } = setup({}, pods(1, 2), pods(11, 2));
    router.setMirror({ version: 'new', share: 0.5 });
    const originals = Array.from({ length: 4000 }, () => send());
    expect(Math.abs(shadow.copies.length / 4000 - 0.5)).toBeLessThan(0.03);
    expect(originals.every((r) => r.version === 'old' && !r.shadow)).toBe(true);
    const mirrors = source.new_.flatMap((e) => e.accepted);
    expect(mirrors.length).toBe(shadow.copies.length);
    expect(mirrors.every((m) => m.shadow && m.id < 0 && m.version === 'new')).toBe(true);
    router.firstToken(mirrors[0], 3);
    router.completed(mirrors[0], 4);
    router.dropped(mirrors[1], 4, 'crash');
    expect(client.events).toEqual([]);
    expect(shadow.done).toEqual([mirrors[0]]);
    expect(mirrors[0].firstTokenAt).toBe(3);
    expect(shadow.failures).toEqual([{ req: mirrors[1], outcome: 'dropped', cause: 'crash' }]);
  });

  it('a mirror without endpoints fails on its own; the original is served', () => {
    const { send, router, client, shadow, source } = setup({}, pods(1, 1), []);
    router.setMirror({ version: 'new', share: 1 });
    const req = send();
    expect(source.old[0].accepted).toEqual([req]);
    expect(client.events).toEqual([]);
    expect(shadow.failures.map((f) => [f.outcome, f.cause])).toEqual([['rejected', 'no-endpoint']]);
    router.setMirror(null);
    send();
    expect(shadow.copies.length).toBe(1);
  });
});

describe('zRouting', () => {
  it('defaults to least-outstanding and refuses options of another policy', () => {
    expect(zRouting.parse({})).toEqual({ policy: 'least-outstanding', gatewayPropagation: 1 });
    expect(routerOptions(zRouting.parse({ policy: 'central-queue', centralQueue: { maxWait: '2m' } })).centralQueue).toEqual({
      maxSize: Infinity,
      maxWait: 120,
    });
    const bad = zRouting.safeParse({ policy: 'random', centralQueue: { maxSize: 10 } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0].path).toEqual(['centralQueue']);
    expect(bad.error?.issues[0].message).toMatch(/only applies with policy: central-queue/);
    expect(zRouting.safeParse({ policy: 'fastest' }).success).toBe(false);
  });
});
