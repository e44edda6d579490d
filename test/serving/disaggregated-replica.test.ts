import { describe, expect, it } from 'vitest';
import { Simulator } from '../../sim/engine/simulator.js';
import type { Endpoint, EndpointSource } from '../../sim/routing/endpoint.js';
import { PrefillDispatcher } from '../../sim/routing/prefill-dispatch.js';
import { DecodeFront } from '../../sim/serving/decode-front.js';
import { Replica, type DisaggregatedRole } from '../../sim/serving/replica.js';
import { prefillBatch, type BatchShape } from '../../sim/serving/step-time/types.js';
import type { Request, RequestSink } from '../../sim/traffic/request.js';
import { LinearStepTime, makeRequest, RecordingSink, TEST_CONFIG } from './replica-harness.js';

const WARM = { ...TEST_CONFIG, prefixCaching: false };

function replica(sim: Simulator, sink: RequestSink, role: DisaggregatedRole, stepTime = new LinearStepTime()): Replica {
  return new Replica({ sim, sink, stepTime, config: WARM, warm: true, disaggregation: role });
}

/** A pod behind the prefill Service: the replica itself, as Pod.accept hands a request to an admitting server. */
function endpoint(podId: number, server: Replica): Endpoint {
  return { podId, accept: (r) => server.submit(r), cancel: (r) => server.cancel(r), outstanding: () => server.outstanding(), hasRoom: () => true };
}

function source(old: Endpoint[]): EndpointSource {
  return { endpoints: (v) => (v === 'old' ? old : []) };
}

/** One prefill replica, one decode front over a prefilled replica, both on linear step times. */
function pdPair(link = { bandwidth: 1e9, latency: 0.002, bytesPerToken: 327_680 }) {
  const sim = new Simulator();
  const sink = new RecordingSink();
  const prefillTime = new LinearStepTime(undefined, true);
  const decodeTime = new LinearStepTime(undefined, true);
  const prefillPods: Endpoint[] = [];
  const dispatcher = new PrefillDispatcher(sim, source(prefillPods), link);
  const prefill = replica(sim, dispatcher, 'prefill-only', prefillTime);
  prefillPods.push(endpoint(0, prefill));
  const decode = replica(sim, sink, 'prefilled', decodeTime);
  const front = new DecodeFront(sim, decode, sink, dispatcher);
  return { sim, sink, front, decode, prefill, dispatcher, prefillTime, decodeTime };
}

function routed(req: Request): Request {
  req.version = 'old';
  return req;
}

describe('prefill-only and prefilled replicas', () => {
  it('a prefill-only replica computes the prompt, reports its first token and lets the request go', () => {
    const sim = new Simulator();
    const ends: [string, number, number][] = [];
    const sink: RequestSink = {
      firstToken: (req, at) => ends.push(['first', at, req.tokensStreamed]),
      completed: (req, at) => ends.push(['completed', at, req.tokensStreamed]),
      dropped: () => ends.push(['dropped', NaN, 0]),
      rejected: () => ends.push(['rejected', NaN, 0]),
    };
    const time = new LinearStepTime(undefined, true);
    const r = replica(sim, sink, 'prefill-only', time);
    sim.at(0, sim.handler(() => r.submit(makeRequest(1, 0, 1000, 200))));
    sim.run();
    expect(time.shapes).toEqual([prefillBatch(1000)]);
    const end = time.stepSeconds(prefillBatch(1000));
    expect(ends).toEqual([['first', end, 1], ['completed', end, 1]]);
    expect(r.outstanding()).toBe(0);
    expect(r.kvUsage()).toBe(0);
  });

  it('a prefilled replica admits the prompt as computed and only computes its last token in the first step', () => {
    const sim = new Simulator();
    const sink = new RecordingSink();
    const time = new LinearStepTime(undefined, true);
    const r = replica(sim, sink, 'prefilled', time);
    sim.at(0, sim.handler(() => r.submit(makeRequest(1, 0, 1000, 3))));
    sim.run();
    const first: BatchShape = prefillBatch(1, 1, 999);
    expect(time.shapes[0]).toEqual(first);
    expect(time.shapes.slice(1).map((s) => [s.prefillSeqs, s.decodeSeqs])).toEqual([[0, 1], [0, 1]]);
    expect(sink.firstTokens.get(1)).toBe(time.stepSeconds(first));
    expect(sink.outcomes.get(1)?.kind).toBe('completed');
    expect(r.stats.prefixQueryTokens).toBe(0);
  });
});

describe('the prefill stage of a decode pod', () => {
  it("TTFT = prefill + KV transfer (latency + bytes / bandwidth) + the decode pod's first step", () => {
    const pd = pdPair();
    const req = routed(makeRequest(1, 0, 2000, 5));
    pd.sim.at(0, pd.sim.handler(() => pd.front.submit(req)));
    pd.sim.run();
    const prefill = pd.prefillTime.stepSeconds(prefillBatch(2000));
    const transfer = 0.002 + (2000 * 327_680) / 1e9;
    const firstDecode = pd.decodeTime.stepSeconds(prefillBatch(1, 1, 1999));
    expect(pd.sink.firstTokens.get(1)).toBeCloseTo(prefill + transfer + firstDecode, 12);
    expect(pd.sink.outcomes.get(1)).toMatchObject({ kind: 'completed', tokensStreamed: 5 });
    expect(pd.dispatcher.stats.transfer.mean).toBeCloseTo(transfer, 12);
    expect(pd.front.outstanding()).toBe(0);
  });

  it('counts requests in their prefill stage as outstanding and is idle only when they are done', () => {
    const pd = pdPair();
    let idleAt = NaN;
    pd.front.onIdle(() => (idleAt = pd.sim.now));
    pd.sim.at(0, pd.sim.handler(() => pd.front.submit(routed(makeRequest(1, 0, 2000, 2)))));
    pd.sim.at(0.0001, pd.sim.handler(() => expect(pd.front.outstanding()).toBe(1)));
    pd.sim.run();
    expect(idleAt).toBe(pd.sink.outcomes.get(1)?.at);
  });

  it('refuses a request whose version has no prefill pod, and one the decode pod is cut before it decodes', () => {
    const pd = pdPair();
    const other = routed(makeRequest(2, 0, 100, 5));
    other.version = 'new';
    pd.sim.at(0, pd.sim.handler(() => pd.front.submit(other)));
    pd.sim.at(0, pd.sim.handler(() => pd.front.submit(routed(makeRequest(3, 0, 4000, 5)))));
    // Mid-prefill of request 3: the decode pod stops.
    pd.sim.at(0.01, pd.sim.handler(() => pd.front.abortAll('sigterm-abort', 'aborted-before-start')));
    pd.sim.run();
    expect(pd.sink.outcomes.get(2)).toMatchObject({ kind: 'rejected', cause: 'no-endpoint' });
    expect(pd.sink.outcomes.get(3)).toMatchObject({ kind: 'rejected', cause: 'aborted-before-start' });
    expect(pd.prefill.outstanding()).toBe(0);
    expect(pd.dispatcher.stats).toMatchObject({ noPrefillEndpoint: 1, cutByDecodePod: 1 });
  });

  it('ends a request cut on its prefill pod with the prefill pod\'s cause, and forgets a cancelled one in transfer', () => {
    const pd = pdPair({ bandwidth: 1e5, latency: 0, bytesPerToken: 3000 });
    const cut = routed(makeRequest(4, 0, 3000, 5));
    const cancelled = routed(makeRequest(5, 0, 10, 5));
    pd.sim.at(0, pd.sim.handler(() => pd.front.submit(cancelled)));
    pd.sim.at(0.001, pd.sim.handler(() => pd.front.submit(cut)));
    // Request 5's 10 tokens take 0.3 s to send: at 0.2 s it is in transfer while request 4 still prefills.
    pd.sim.at(0.2, pd.sim.handler(() => pd.front.cancel(cancelled)));
    pd.sim.at(0.2, pd.sim.handler(() => pd.prefill.abortAll('sigkill', 'aborted-before-start')));
    pd.sim.run();
    expect(pd.sink.outcomes.get(4)).toMatchObject({ kind: 'dropped', cause: 'sigkill' });
    expect(pd.sink.outcomes.has(5)).toBe(false);
    expect(pd.sink.firstTokens.has(5)).toBe(false);
    expect(pd.decode.outstanding() + pd.front.outstanding()).toBe(0);
  });
});
