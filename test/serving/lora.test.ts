/**
 * LoRA in the replica: vLLM's max_loras skip at admission (scheduler), the GPU-slot and host-cache LRUs and
 * their load latencies (ReplicaLora), and the replica paying them in TTFT.
 */
import { describe, expect, it } from 'vitest';
import { constant } from '../../sim/engine/distributions.js';
import { KvCache } from '../../sim/serving/kv-cache.js';
import { LoraStats, ReplicaLora, resolveLora, zLoraServer, type LoraConfig } from '../../sim/serving/lora.js';
import { FifoQueue } from '../../sim/serving/queue-station.js';
import { Replica } from '../../sim/serving/replica.js';
import { Sequence } from '../../sim/serving/sequence.js';
import { emptyStepSchedule, scheduleStep, type EngineState } from '../../sim/serving/vllm-scheduler.js';
import { Simulator } from '../../sim/engine/simulator.js';
import { LinearStepTime, makeRequest, RecordingSink, runWorkload, TEST_CONFIG } from './replica-harness.js';
import type { Request } from '../../sim/traffic/request.js';

const NAMES = ['a', 'b', 'c', 'd'];

function loraConfig(fields: Partial<LoraConfig> = {}): LoraConfig {
  return { ...resolveLora(zLoraServer.parse({}), NAMES.length), loadFromHost: 0.01, loadFromStorage: 0.3, kernelOverhead: 0, ...fields };
}

function withAdapter(req: Request, adapter: number): Request {
  req.adapter = adapter;
  return req;
}

let nextId = 1;
const seqFor = (adapter: number, prompt = 64) => new Sequence(withAdapter(makeRequest(nextId++, 0, prompt, 10), adapter), 0);

describe('scheduler: max_loras', () => {
  function engine(maxLoras: number): { state: EngineState; lora: ReplicaLora } {
    const lora = new ReplicaLora(loraConfig({ maxLoras, maxCpuLoras: 4 }), new LoraStats(NAMES));
    return { state: { running: [], waiting: new FifoQueue<Sequence>(), kv: new KvCache(1000, 16), lora }, lora };
  }

  it('skips a waiting request whose adapter cannot join and admits the ones behind it (vLLM skipped_waiting_requests)', () => {
    const { state } = engine(1);
    const first = seqFor(0);
    const other = seqFor(1);
    const same = seqFor(0);
    const base = seqFor(-1);
    for (const s of [first, other, same, base]) state.waiting.pushBack(s);
    const out = emptyStepSchedule();
    scheduleStep(state, { maxNumSeqs: 8, maxNumBatchedTokens: 4096 }, out);
    expect(state.running).toEqual([first, same, base]);
    expect(out.admitted).toBe(3);
    expect(out.adapterSkips).toBe(1);
    expect(state.waiting.peek()).toBe(other); // kept its place at the head
    expect(state.waiting.size).toBe(1);
  });

  it('counts the running requests adapters as in the batch', () => {
    const { state } = engine(2);
    state.running.push(seqFor(0), seqFor(1));
    for (const s of state.running) {
      s.prefillEnd = s.numTokens;
      s.numComputed = s.numTokens - 1;
      s.privateBlocks = state.kv.blocksFor(s.numComputed);
      state.kv.allocate(s.privateBlocks);
    }
    const third = seqFor(2);
    const again = seqFor(1);
    state.waiting.pushBack(third);
    state.waiting.pushBack(again);
    const out = emptyStepSchedule();
    scheduleStep(state, { maxNumSeqs: 8, maxNumBatchedTokens: 4096 }, out);
    expect(state.running.slice(2)).toEqual([again]);
    expect(out.adapterSkips).toBe(1);
  });
});

describe('ReplicaLora: slots, host cache, loads', () => {
  it('loads from storage, then from host memory once evicted from its GPU slot, and evicts the least recently used', () => {
    const stats = new LoraStats(NAMES);
    const lora = new ReplicaLora(loraConfig({ maxLoras: 1, maxCpuLoras: 2 }), stats);
    const batch = (adapter: number) => {
      lora.beginBatch([seqFor(adapter)]);
      return lora.activateBatch();
    };
    expect(batch(0)).toBeCloseTo(0.3); // a: storage
    expect(batch(0)).toBe(0); // a: in its slot
    expect(batch(1)).toBeCloseTo(0.3); // b: storage; a leaves the slot, stays in host memory
    expect(lora.inGpu(0)).toBe(false);
    expect(batch(0)).toBeCloseTo(0.01); // a: from host memory
    expect(batch(2)).toBeCloseTo(0.3); // c: storage; the host cache (2) drops b, the least recently used
    expect(batch(1)).toBeCloseTo(0.3); // b: storage again
    expect(stats.loadsFromStorage).toBe(4);
    expect(stats.loadsFromHost).toBe(1);
    expect(NAMES.map((_, a) => lora.inGpu(a))).toEqual([false, true, false, false]); // one slot: the last used
  });

  it('the kernel cost scales with the rank and applies only to batches with adapters', () => {
    const lora = new ReplicaLora(loraConfig({ kernelOverhead: 0.1, maxLoraRank: 32 }), new LoraStats(NAMES));
    lora.beginBatch([seqFor(-1)]);
    expect(lora.kernelFactor()).toBe(1);
    lora.beginBatch([seqFor(0)]);
    expect(lora.kernelFactor()).toBeCloseTo(1.2);
  });

  it('rejects maxCpuLoras below maxLoras, as vLLM', () => {
    const parsed = zLoraServer.safeParse({ maxLoras: 4, maxCpuLoras: 2 });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain('maxCpuLoras (2) must be at least maxLoras (4)');
  });
});

describe('replica with adapters', () => {
  const stepTime = () => new LinearStepTime({ base: 0.01, prefillToken: 0, attentionPair: 0, decodeSeq: 0, contextToken: 0 });

  it('a request whose adapter is not loaded waits for the load: its TTFT is longer by loadFromStorage', () => {
    const sim = new Simulator();
    const sink = new RecordingSink();
    const stats = new LoraStats(NAMES);
    const replica = new Replica({ sim, sink, stepTime: stepTime(), config: TEST_CONFIG, warm: true, lora: new ReplicaLora(loraConfig(), stats) });
    const miss = withAdapter(makeRequest(1, 0, 64, 2), 0);
    const hit = withAdapter(makeRequest(2, 5, 64, 2), 0);
    replica.submit(miss);
    sim.at(5, sim.handler(() => replica.submit(hit)));
    sim.run();
    expect(sink.firstTokens.get(1)).toBeCloseTo(0.3 + 0.01);
    expect(sink.firstTokens.get(2)! - 5).toBeCloseTo(0.01);
    expect(stats).toMatchObject({ missRequests: 1, hitRequests: 1, loadsFromStorage: 1 });
    expect(stats.missTtft.count).toBe(1);
    expect(stats.hitTtft.count).toBe(1);
  });

  it('serves the base model bit for bit as a replica without LoRA', () => {
    const workload = { seed: 5, requests: 300, rate: 40, prompt: constant(300), output: constant(40) };
    const plain = runWorkload(workload, { stepTime: new LinearStepTime(), config: TEST_CONFIG });
    const lora = runWorkload(workload, { stepTime: new LinearStepTime(), config: TEST_CONFIG, lora: new ReplicaLora(loraConfig(), new LoraStats(NAMES)) });
    expect([...lora.sink.outcomes]).toEqual([...plain.sink.outcomes]);
    expect([...lora.sink.firstTokens]).toEqual([...plain.sink.firstTokens]);
  });

  it('with more adapters than slots every request still ends once, some after waiting for a slot', () => {
    const stats = new LoraStats(NAMES);
    const lora = new ReplicaLora(loraConfig({ maxLoras: 1, maxCpuLoras: 2 }), stats);
    const workload = { seed: 9, requests: 400, rate: 30, prompt: constant(200), output: constant(30) };
    const run = runWorkload(workload, { stepTime: new LinearStepTime(), config: TEST_CONFIG, lora }, (_sim, replica) => {
      // Each request names one of the four adapters in turn: submit() reads req.adapter.
      const submit = replica.submit.bind(replica);
      replica.submit = (req: Request) => submit(withAdapter(req, req.id % NAMES.length));
    });
    expect(run.sink.count('completed')).toBe(400);
    expect(stats.slotWaits).toBeGreaterThan(0);
    expect(stats.loadsFromStorage + stats.loadsFromHost).toBeGreaterThan(4);
    expect(stats.hitRequests + stats.missRequests).toBe(400);
    expect([...stats.requestsByAdapter]).toEqual([100, 100, 100, 100]);
  });
});
