import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../sim/engine/random.js';
import { Simulator } from '../../sim/engine/simulator.js';
import { routerOptions, zRouting } from '../../sim/routing/config.js';
import type { Endpoint, EndpointSource } from '../../sim/routing/endpoint.js';
import { Router } from '../../sim/routing/router.js';
import { zTraffic } from '../../sim/traffic/config.js';
import type { ShadowListener } from '../../sim/traffic/outcome.js';
import type { Request, RequestSink, VersionRole } from '../../sim/traffic/request.js';
import { TrafficSource } from '../../sim/traffic/source.js';
import { RecordingListener } from '../traffic/fakes.js';

/** A server with `slots` concurrent requests and a fixed service time; refuses beyond its slots. */
class SlotServer implements Endpoint {
  private readonly running = new Map<number, Request>();
  private readonly onDone: number;
  peak = 0;
  constructor(
    readonly podId: number,
    private readonly sim: Simulator,
    private readonly sink: () => RequestSink,
    private readonly serviceTime: number,
    private readonly slots: number,
  ) {
    this.onDone = sim.handler((id) => this.finish(id));
  }
  accept(req: Request): void {
    if (this.running.size >= this.slots) {
      this.sink().rejected(req, this.sim.now, 'queue-full');
      return;
    }
    this.running.set(req.id, req);
    this.peak = Math.max(this.peak, this.running.size);
    this.sim.after(this.serviceTime, this.onDone, req.id);
  }
  cancel(req: Request): void {
    this.running.delete(req.id);
  }
  outstanding(): number {
    return this.running.size;
  }
  hasRoom(): boolean {
    return this.running.size < this.slots;
  }
  private finish(id: number): void {
    const req = this.running.get(id);
    if (req === undefined) return;
    this.running.delete(id);
    this.sink().firstToken(req, this.sim.now);
    this.sink().completed(req, this.sim.now);
  }
}

class ShadowCounter implements ShadowListener {
  mirroredCount = 0;
  ended = 0;
  mirrored(): void {
    this.mirroredCount++;
  }
  completed(): void {
    this.ended++;
  }
  failed(): void {
    this.ended++;
  }
}

function wire(rate: string, routing: unknown, client: unknown) {
  const sim = new Simulator();
  const streams = new RandomStreams(23);
  const listener = new RecordingListener();
  const traffic = zTraffic.parse({ arrival: { poisson: { rate } }, promptTokens: 100, outputTokens: 10, client });
  const source = new TrafficSource(sim, streams, traffic, listener, '.');
  let router: Router | null = null;
  const sink = () => router as Router;
  const servers: Record<VersionRole, SlotServer[]> = {
    old: [1, 2, 3].map((id) => new SlotServer(id, sim, sink, 0.3, 4)),
    new: [11].map((id) => new SlotServer(id, sim, sink, 0.3, 4)),
  };
  const endpoints: EndpointSource = { endpoints: (v) => servers[v] };
  const shadow = new ShadowCounter();
  router = new Router(sim, streams, endpoints, source.client, routerOptions(zRouting.parse(routing)), shadow);
  source.start(router);
  return { sim, listener, source, router, servers, shadow };
}

function tally(listener: RecordingListener) {
  const counts: Record<string, number> = {};
  for (const f of listener.finals) counts[`${f.outcome}:${f.cause}`] = (counts[`${f.outcome}:${f.cause}`] ?? 0) + 1;
  return counts;
}

describe('traffic → router → servers → clients', () => {
  it('a central queue keeps servers within their slots; mirrors load the new version only', () => {
    const { sim, listener, source, router, servers, shadow } = wire('30/s', { policy: 'central-queue' }, { ttftTimeout: '5s' });
    router.setMirror({ version: 'new', share: 0.2 });
    sim.run(200);
    expect(listener.arrivals.length).toBe(listener.finals.length + source.client.inFlight);
    expect(tally(listener)).toEqual({ 'completed:': expect.any(Number) });
    expect(servers.old.every((s) => s.peak <= 4)).toBe(true);
    expect(Math.abs(shadow.mirroredCount / listener.arrivals.length - 0.2)).toBeLessThan(0.02);
    expect(shadow.ended).toBeGreaterThan(0);
    expect(router.queued).toBeLessThan(50);
  });

  it('under overload, waits time out or are refused, and every request still ends exactly once', () => {
    const { sim, listener, source, router } = wire(
      '60/s',
      // Capacity is 40/s: a full queue of 70 waits ~1.75 s, so some waits expire at 1.5 s, and some requests
      // served after a long wait miss the 1.6 s TTFT time-out while running.
      { policy: 'central-queue', centralQueue: { maxSize: 70, maxWait: '1.5s' } },
      { ttftTimeout: '1.6s', retries: { max: 1, backoff: { base: '1s' } } },
    );
    sim.run(120);
    const counts = tally(listener);
    expect(counts['rejected:gateway-queue-full']).toBeGreaterThan(0);
    expect(counts['timedOut:ttft-timeout']).toBeGreaterThan(0);
    expect(listener.retries).toBeGreaterThan(0);
    expect(listener.arrivals.length).toBe(listener.finals.length + source.client.inFlight);
    expect(new Set(listener.finals.map((f) => f.logicalId)).size).toBe(listener.finals.length);
    expect(router.queued).toBeLessThanOrEqual(70);
  });

  it('without a central queue, an overloaded server refuses and the client sees the refusals', () => {
    const { sim, listener, source } = wire('60/s', { policy: 'round-robin' }, {});
    sim.run(60);
    const counts = tally(listener);
    expect(counts['rejected:queue-full']).toBeGreaterThan(0);
    expect(counts['completed:']).toBeGreaterThan(0);
    expect(listener.arrivals.length).toBe(listener.finals.length + source.client.inFlight);
  });
});
