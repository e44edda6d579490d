import { describe, expect, it } from 'vitest';
import { Simulator } from '../../sim/engine/simulator.js';
import { PrefillDispatcher, podRefusalSink } from '../../sim/routing/prefill-dispatch.js';
import { RoleEndpoints } from '../../sim/routing/role-endpoints.js';
import type { DecodeSide } from '../../sim/serving/decode-front.js';
import type { Request } from '../../sim/traffic/request.js';
import { makeRequest } from '../serving/replica-harness.js';
import { FakeEndpoints, pods, RecordingSink } from './fakes.js';

const LINK = { bandwidth: 1e9, latency: 0, bytesPerToken: 1000 };

class Side implements DecodeSide {
  readonly ended: string[] = [];
  readonly decoded: Request[] = [];
  prefilled(req: Request): void {
    this.decoded.push(req);
  }
  prefillFailed(req: Request, _at: number, outcome: string, cause: string): void {
    this.ended.push(`${req.id} ${outcome} ${cause}`);
  }
}

const side = (): Side => new Side();

function request(id: number, version: 'old' | 'new'): Request {
  const req = makeRequest(id, 0, 100, 10);
  req.version = version;
  return req;
}

describe('RoleEndpoints', () => {
  it("splits the router's view by role, and routes a version's decode pods only while it has a prefill pod", () => {
    const all = new FakeEndpoints(pods(0, 4), pods(10, 2));
    const prefillIds = new Set([0, 1, 10]);
    const roles = new RoleEndpoints(all, (id) => prefillIds.has(id));
    roles.refresh('old');
    roles.refresh('new');
    expect(roles.prefill.endpoints('old').map((e) => e.podId)).toEqual([0, 1]);
    expect(roles.decode.endpoints('old').map((e) => e.podId)).toEqual([2, 3]);
    expect(roles.decode.endpoints('new').map((e) => e.podId)).toEqual([11]);
    // The new version's only prefill pod leaves its endpoints: its decode pods are not routable any more.
    all.new_ = all.new_.filter((e) => e.podId !== 10);
    roles.refresh('new');
    expect(roles.prefill.endpoints('new')).toEqual([]);
    expect(roles.decode.endpoints('new')).toEqual([]);
    expect(roles.decode.endpoints('old').map((e) => e.podId)).toEqual([2, 3]);
  });
});

describe('PrefillDispatcher', () => {
  it('sends a request to the least loaded prefill endpoint of its own version, never to another', () => {
    const sim = new Simulator();
    const old = pods(0, 3);
    const fresh = pods(10, 1);
    old[0].load = 5;
    old[1].load = 1;
    old[2].load = 3;
    const dispatcher = new PrefillDispatcher(sim, new FakeEndpoints(old, fresh), LINK);
    const s = side();
    dispatcher.begin(request(1, 'old'), s);
    dispatcher.begin(request(2, 'new'), s);
    expect(old.map((e) => e.accepted.map((r) => r.id))).toEqual([[], [1], []]);
    expect(fresh[0].accepted.map((r) => r.id)).toEqual([2]);
    dispatcher.begin(request(3, 'old'), s);
    expect(old[1].accepted.map((r) => r.id)).toEqual([1, 3]);
  });

  it('holds a prefilled request for its transfer, then hands it to its decode pod; refusals come back to it', () => {
    const sim = new Simulator();
    const old = pods(0, 1);
    const dispatcher = new PrefillDispatcher(sim, new FakeEndpoints(old), LINK);
    const router = new RecordingSink();
    const refusals = podRefusalSink(dispatcher, router);
    const s = side();
    const a = request(1, 'old');
    const b = request(2, 'old');
    dispatcher.begin(a, s);
    dispatcher.begin(b, s);
    expect(dispatcher.holds(a)).toBe(true);
    // The prefill pod refuses b (it started draining): the refusal ends b's prefill stage, not the router's.
    refusals.rejected(b, 0, 'server-draining');
    expect(s.ended).toEqual(['2 rejected server-draining']);
    expect(router.events).toEqual([]);
    // a is prefilled at t=0: its 100 tokens × 1000 bytes take 1e-4 s to send.
    sim.at(0, sim.handler(() => dispatcher.completed(a, 0)));
    sim.run();
    expect(s.decoded).toEqual([a]);
    expect(sim.now).toBeCloseTo(1e-4, 15);
    expect(Number.isNaN(a.firstTokenAt)).toBe(true);
    // Not held any more: a later refusal of it (by a decode pod) is the router's.
    refusals.rejected(a, sim.now, 'connection-refused');
    expect(router.events.map((e) => e.kind)).toEqual(['rejected']);
  });

  it('refuses with no-endpoint when the version has no prefill pod', () => {
    const dispatcher = new PrefillDispatcher(new Simulator(), new FakeEndpoints(pods(0, 1)), LINK);
    const s = side();
    dispatcher.begin(request(1, 'new'), s);
    expect(s.ended).toEqual(['1 rejected no-endpoint']);
    expect(dispatcher.stats.noPrefillEndpoint).toBe(1);
  });
});
