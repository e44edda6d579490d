import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../sim/engine/random.js';
import { Simulator } from '../../sim/engine/simulator.js';
import { routerOptions, zRouting } from '../../sim/routing/config.js';
import { Router } from '../../sim/routing/router.js';
import { firstAttempt } from '../../sim/traffic/attempt.js';
import type { Request } from '../../sim/traffic/request.js';
import { FakeEndpoint, FakeEndpoints, pods, RecordingSink } from './fakes.js';

/** An endpoint that refuses every request as a pod that stopped serving does. */
class GonePod extends FakeEndpoint {
  constructor(
    podId: number,
    private readonly router: () => Router,
    private readonly now: () => number,
  ) {
    super(podId);
  }
  override accept(req: Request): void {
    this.router().rejected(req, this.now(), 'connection-refused');
  }
}

function setup(routing: unknown, old: FakeEndpoint[] = pods(1, 2)) {
  const sim = new Simulator();
  const source = new FakeEndpoints(old);
  const client = new RecordingSink();
  const router = new Router(sim, new RandomStreams(5), source, client, routerOptions(zRouting.parse(routing)));
  router.endpointsChanged();
  let lastId = 0;
  const sendAt = (t: number): void => {
    sim.at(t, sim.handler(() => router.accept(firstAttempt(++lastId, sim.now, 100, 10, -1, 0))));
  };
  const at = (t: number, fn: () => void): void => {
    sim.at(t, sim.handler(fn));
  };
  return { sim, source, client, router, sendAt, at };
}

describe('waitForEndpoint', () => {
  it('without it a request with no routable pod is refused at once; with it, held until a pod is routable', () => {
    for (const wait of [undefined, '60s']) {
      const { sim, source, client, router, sendAt, at } = setup({ waitForEndpoint: wait });
      const [a, b] = source.old;
      at(10, () => {
        source.old = [];
        router.endpointsChanged();
      });
      sendAt(12);
      sendAt(20);
      at(30, () => {
        source.old = [b];
        router.endpointsChanged();
      });
      sim.run(100);
      if (wait === undefined) {
        expect(client.of('rejected').map((e) => [e.at, e.kind === 'rejected' && e.cause])).toEqual([
          [12, 'no-endpoint'],
          [20, 'no-endpoint'],
        ]);
        expect(router.stats().waitedForEndpoint).toBe(0);
      } else {
        expect(client.of('rejected')).toEqual([]);
        expect(b.accepted.map((r) => r.id)).toEqual([1, 2]); // both at 30, oldest first
        expect(router.stats()).toMatchObject({ waitedForEndpoint: 2, waitExpired: 0 });
      }
      expect(a.accepted).toEqual([]);
      expect(router.stats()).toMatchObject({ noEndpointSeconds: 20, longestNoEndpointSeconds: 20 });
    }
  });

  it('refuses no-endpoint only those that waited it out; a client that gave up is forgotten', () => {
    const { sim, source, client, router, sendAt, at } = setup({ waitForEndpoint: '15s' });
    at(1, () => {
      source.old = [];
      router.endpointsChanged();
    });
    sendAt(2); // waits out at 17
    sendAt(10); // routed at 20
    let gaveUp: Request | null = null;
    at(11, () => {
      gaveUp = firstAttempt(3, sim.now, 100, 10, -1, 0);
      router.accept(gaveUp);
    });
    at(12, () => router.cancel(gaveUp as Request));
    at(20, () => {
      source.old = pods(7, 1);
      router.endpointsChanged();
    });
    sim.run(50);
    expect(client.of('rejected').map((e) => [e.at, e.req.id, e.kind === 'rejected' && e.cause])).toEqual([[17, 1, 'no-endpoint']]);
    expect(source.old[0].accepted.map((r) => r.id)).toEqual([2]);
    expect(router.stats()).toMatchObject({ waitedForEndpoint: 3, waitExpired: 1 });
  });

  it('routes around a pod that refuses as not serving, while the wait lasts', () => {
    let router: Router | null = null;
    let now = 0;
    const gone = new GonePod(1, () => router as Router, () => now);
    const live = new FakeEndpoint(2);
    live.load = 5; // least-outstanding prefers the empty, gone pod
    for (const wait of [undefined, '30s']) {
      const built = setup({ waitForEndpoint: wait }, [gone, live]);
      router = built.router;
      now = 0;
      built.sim.at(1, built.sim.handler(() => {
        now = 1;
        for (let i = 0; i < 3; i++) built.router.accept(firstAttempt(i + 1, 1, 100, 10, -1, 0));
      }));
      built.sim.run(10);
      const refused = built.client.of('rejected').length;
      if (wait === undefined) expect(refused).toBe(3);
      else {
        expect(refused).toBe(0);
        expect(built.router.stats().rerouted).toBe(1); // the first; then the pod is ejected
      }
    }
    expect(live.accepted.map((r) => r.id)).toEqual([1, 2, 3]);
  });
});

describe('waitForEndpoint with pods that appear but refuse', () => {
  it('a released request refused by the only pod is held again (no loop) and served by the next pod', () => {
    let router: Router | null = null;
    let now = 0;
    const gone = new GonePod(1, () => router as Router, () => now);
    const live = new FakeEndpoint(2);
    const built = setup({ waitForEndpoint: '60s' }, []);
    router = built.router;
    const { sim, source, client, sendAt, at } = built;
    sendAt(2);
    at(5, () => {
      now = 5;
      source.old = [gone];
      built.router.endpointsChanged();
    });
    at(10, () => {
      now = 10;
      source.old = [gone, live];
      built.router.endpointsChanged();
    });
    sim.run(100);
    expect(client.of('rejected')).toEqual([]);
    expect(live.accepted.map((r) => r.id)).toEqual([1]);
    expect(built.router.stats()).toMatchObject({ waitedForEndpoint: 2, rerouted: 1, waitExpired: 0 });
  });
});

describe('the gateway as a Deployment (routing.gateway)', () => {
  it('cuts the streams still open through a replica when its grace period ends, and only those', () => {
    const results = [30, 60].map((grace) => {
      const { sim, client, router, at } = setup({
        gateway: { replicas: 2, terminationGracePeriodSeconds: grace, startup: '10s', rollout: { at: '100s' } },
      });
      const live = new Map<number, Request>();
      // Streams of 45 s, one every 5 s; the servers finish them unless they are cut.
      let lastId = 0;
      for (let t = 50; t < 300; t += 5) {
        const id = ++lastId;
        at(t, () => {
          const req = firstAttempt(id, sim.now, 100, 10, -1, 0);
          router.accept(req);
          live.set(id, req);
        });
        at(t + 45, () => router.completed(live.get(id) as Request, sim.now));
      }
      sim.run(400);
      return client.of('dropped').map((e) => e.kind === 'dropped' && e.cause);
    });
    const [short, matched] = results;
    expect(short.length).toBeGreaterThan(0);
    expect(new Set(short)).toEqual(new Set(['gateway-terminated']));
    expect(matched).toEqual([]);
  });
});
