import type { Rng } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import { InputError, InternalError } from '../errors.js';
import type { DropCause, RejectCause, Request, RequestSink } from '../traffic/request.js';
import { KvCache } from './kv-cache.js';
import type { PrefixCacheTally } from './prefix-tally.js';
import type { ReplicaLora } from './lora.js';
import { FifoQueue, IdleNotifier } from './queue-station.js';
import { Sequence } from './sequence.js';
import type { EnginePace, Server } from './server.js';
import type { StepTimeModel } from './step-time/types.js';
import { emptyStepSchedule, scheduleStep, type EngineState } from './vllm-scheduler.js';

/**
 * Cold kernels of a freshly started engine. Our H200 measurement (serving-model.md, intro) saw the very first
 * inference after load take ~1.1 s against 13 ms warm: that is `firstStepSeconds`, added to the first step.
 * Later steps still meet batch shapes for the first time (allocator growth, kernel autotuning, graph sizes
 * not yet replayed); nothing was measured there, so the default is a mild multiplier `initialFactor` on step 1
 * falling linearly to 1 after `steps` steps. Set firstStepSeconds 0 and initialFactor 1 for no cold start.
 */
export interface ColdStart {
  firstStepSeconds: number;
  steps: number;
  initialFactor: number;
}

/** The engine knobs of one replica (vLLM's names). */
export interface ReplicaConfig {
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  /** KV capacity in blocks (derived from memory, or vLLM's logged "# GPU blocks"). */
  kvBlocks: number;
  blockSize: number;
  /** Bound on the waiting queue; a request arriving to a full queue is rejected 'queue-full'. Unbounded if absent. */
  maxWaiting?: number;
  prefixCaching: boolean;
  coldStart: ColdStart;
}

export interface ReplicaOptions {
  sim: Simulator;
  sink: RequestSink;
  stepTime: StepTimeModel;
  config: ReplicaConfig;
  /** Kernels already warm (e.g. the fleet serving at time 0): no cold-start cost. The prefix cache starts empty anyway. */
  warm?: boolean;
  /** Bad version: every step takes this many times longer. Default 1. */
  stepTimeFactor?: number;
  /** Bad version: this share of requests is failed with 'server-error' when submitted. Default 0. */
  errorRate?: number;
  /** The seeded stream the error draws come from; required when errorRate > 0. */
  errorRng?: Rng;
  /**
   * Most engine steps simulated by one event when the batch cannot change (pure decode). 1 = one event per step.
   * Results do not depend on it. Default unlimited.
   */
  maxStepsPerEvent?: number;
  /** Where the fleet's prefix-cache lookups and hits are summed (the hit rate over time). */
  prefixTally?: PrefixCacheTally;
  /** Its LoRA adapters (slots, host cache, the run's stats); absent when it serves none. */
  lora?: ReplicaLora;
  /** Its part in disaggregated serving (docs/disaggregation.md); absent: it serves whole requests. */
  disaggregation?: DisaggregatedRole;
}

/**
 * `prefill-only`: a prefill pod's engine, which computes the prompt and its first token, then lets the request go
 * (its KV is sent to a decode pod). `prefilled`: a decode pod's engine, whose requests arrive with the prompt's KV
 * already computed elsewhere.
 */
export type DisaggregatedRole = 'prefill-only' | 'prefilled';

/** A shared prompt prefix to load into a new replica's prefix cache before it serves. */
export interface WarmPrefix {
  group: number;
  tokens: number;
}

/** Counters over the replica's life, as of the last materialised step. */
export interface ReplicaStats {
  steps: number;
  preemptions: number;
  /** Prompt tokens served from the prefix cache instead of being prefilled. */
  prefixHitTokens: number;
  /** Prompt tokens looked up in the prefix cache (vLLM's prefix_cache_queries). */
  prefixQueryTokens: number;
  /** Requests refused because prompt + output can never fit the KV cache (vLLM answers 400). */
  tooLong: number;
}

const FIRST_TOKEN = 1;
const COMPLETED = 2;

/**
 * A vLLM V1 engine on one replica (serving-model.md §2.2–2.3): continuous batching with chunked prefill under a
 * token budget and a sequence cap, a paged KV cache with recompute preemption from the tail of the running list,
 * FCFS admission that never preempts, and a prefix cache.
 *
 * This class is the event shell around batch formation (vllm-scheduler.ts, which decides each step's batch from
 * the engine state alone): it owns that state, turns each scheduled step into a step time and an end event,
 * applies the step's results (tokens, first tokens, completions, prefix-cache publication), reports to the
 * sink, and injects the bad version's faults (slower steps, refused requests).
 *
 * One event per engine step, and one event for a whole run of steps whose batch cannot change: pure decode with
 * nothing admissible waiting, no completion and no block shortage before its last step. Those steps' end times
 * are still accumulated one step at a time, so results are bit-identical to stepping one by one. A submit,
 * cancel or abort in the middle of such a run cuts it at the end of the step in progress. Between events,
 * requests' tokensStreamed and the read-only accessors reflect the last materialised step; cancel() and
 * abortAll() materialise first, and materialise() does it on request. A same-instant tie between a submit and a step boundary inside a run counts as
 * the boundary first (the new request waits for the next step).
 */
export class Replica implements Server {
  private readonly sim: Simulator;
  private readonly sink: RequestSink;
  private readonly stepTime: StepTimeModel;
  private readonly config: ReplicaConfig;
  private readonly kv: KvCache;
  private readonly maxWaiting: number;
  private readonly stepTimeFactor: number;
  private readonly errorRate: number;
  private readonly errorRng: Rng | undefined;
  private readonly maxStepsPerEvent: number;
  /** Steps that pay the cold-start cost: 1 + coldStart.steps, or 0 when warm. */
  private readonly coldSteps: number;
  private readonly lora: ReplicaLora | null;
  private readonly prefillOnly: boolean;
  private readonly prefilled: boolean;
  /** Requests held (waiting or running) per adapter, and the adapters with any: what the gateway reads. */
  private readonly heldByAdapter: Int32Array | null;
  private adaptersHeld = 0;
  /** Kernel cost of the plan's adapters: multiplies each of its steps (1 without adapters). */
  private planFactor = 1;

  private readonly running: Sequence[] = [];
  private readonly waiting = new FifoQueue<Sequence>();
  private readonly idle = new IdleNotifier();
  private readonly engine: EngineState;
  /** The scheduler's decision for the step in progress (its batch is the first step's shape of the plan). */
  private readonly schedule = emptyStepSchedule();
  private readonly batch = this.schedule.batch;

  /** The planned run of steps: active while its end event is pending. */
  private planActive = false;
  private planSteps = 0;
  /** Steps of the plan whose results are already applied (always before the last one). */
  private planDone = 0;
  /** Engine step index of the plan's first step (counts from 0 over the replica's life). */
  private planFirstStep = 0;
  /** planEnds[m] = end time of the plan's m-th step (1-based). */
  private planEnds = new Float64Array(64);
  private stepEvent = -1;
  /** When the plan in progress started, and the end and length of the last step that ended (pace()). */
  private planStart = 0;
  private lastStepEnd = NaN;
  private lastStepSeconds = NaN;
  private wakeEvent = -1;
  /** Inside the step-end handler: submits wait for its planning, cancels need no cut. */
  private inStep = false;
  private readonly stepEndHandler: number;
  private readonly wakeHandler: number;

  private readonly notifySequences: (Sequence | undefined)[] = [];
  private readonly notifyFlags: number[] = [];

  private counters: ReplicaStats = { steps: 0, preemptions: 0, prefixHitTokens: 0, prefixQueryTokens: 0, tooLong: 0 };
  private readonly prefixTally: PrefixCacheTally | undefined;

  constructor(options: ReplicaOptions) {
    const { config } = options;
    this.sim = options.sim;
    this.sink = options.sink;
    this.stepTime = options.stepTime;
    this.config = config;
    this.kv = new KvCache(config.kvBlocks, config.blockSize);
    this.lora = options.lora ?? null;
    this.prefillOnly = options.disaggregation === 'prefill-only';
    this.prefilled = options.disaggregation === 'prefilled';
    this.heldByAdapter = this.lora === null ? null : new Int32Array(this.lora.config.adapterCount);
    this.engine = { running: this.running, waiting: this.waiting, kv: this.kv, lora: this.lora };
    this.maxWaiting = config.maxWaiting ?? Infinity;
    this.stepTimeFactor = options.stepTimeFactor ?? 1;
    this.errorRate = options.errorRate ?? 0;
    this.errorRng = options.errorRng;
    this.maxStepsPerEvent = options.maxStepsPerEvent ?? Infinity;
    this.prefixTally = config.prefixCaching ? options.prefixTally : undefined;
    this.coldSteps = options.warm ? 0 : 1 + config.coldStart.steps;
    if (!(this.stepTimeFactor > 0 && Number.isFinite(this.stepTimeFactor))) {
      throw new InputError(`expected a step-time factor greater than 0, got ${this.stepTimeFactor}`, 'stepTimeFactor');
    }
    if (!(this.errorRate >= 0 && this.errorRate <= 1)) {
      throw new InputError(`expected an error rate between 0 and 1, got ${this.errorRate}`, 'errorRate');
    }
    if (this.errorRate > 0 && this.errorRng === undefined) {
      throw new InternalError('a replica with an error rate needs a random stream for the error draws');
    }
    if (!(this.maxStepsPerEvent >= 1 && (Number.isInteger(this.maxStepsPerEvent) || this.maxStepsPerEvent === Infinity))) {
      throw new InputError(`expected a whole number of steps, 1 or more, got ${this.maxStepsPerEvent}`, 'maxStepsPerEvent');
    }
    this.stepEndHandler = this.sim.handler(() => this.endPlan());
    this.wakeHandler = this.sim.handler(() => this.wake());
  }

  get stats(): Readonly<ReplicaStats> {
    return this.counters;
  }

  submit(req: Request): void {
    const now = this.sim.now;
    if (this.waiting.size >= this.maxWaiting) {
      this.sink.rejected(req, now, 'queue-full');
      return;
    }
    if (this.errorRate > 0 && this.errorRng!.next() < this.errorRate) {
      this.sink.rejected(req, now, 'server-error');
      return;
    }
    const outputTokens = this.prefillOnly ? 1 : req.outputTokens;
    // Without this a request could preempt itself forever; vLLM refuses it up front (max_model_len).
    if (this.kv.blocksFor(req.promptTokens + Math.max(outputTokens, 1) - 1) > this.kv.totalBlocks) {
      this.counters.tooLong++;
      this.sink.rejected(req, now, 'server-error');
      return;
    }
    const prefixBlocks =
      this.config.prefixCaching && req.prefixGroup >= 0 && !this.prefilled ? this.kv.fullBlocks(Math.min(req.prefixTokens, req.promptTokens)) : 0;
    // The last prompt token is computed by the decode pod's first step: it produces the first token there.
    const seq = new Sequence(req, prefixBlocks, outputTokens, this.prefilled ? req.promptTokens - 1 : 0);
    if (seq.adapter >= 0) this.holdAdapter(seq);
    const queueWasEmpty = this.waiting.size === 0;
    this.waiting.pushBack(seq);
    this.idle.markBusy();
    if (this.inStep) return;
    // Behind a waiting request that cannot be admitted, FCFS admission cannot reach this one: nothing changes.
    // With adapters it can (a request skipped for its adapter does not block the ones behind it).
    if (this.planActive) {
      if (queueWasEmpty || this.lora !== null) this.cutPlan();
    } else if (this.wakeEvent < 0) {
      this.wakeEvent = this.sim.at(now, this.wakeHandler);
    }
  }

  /**
   * Found by a scan (no map per request): the running list holds at most maxNumSeqs, and the queue is searched
   * from its head, where a timed-out request waits.
   */
  cancel(req: Request): void {
    const index = this.running.findIndex((s) => s.req === req);
    const seq = index >= 0 ? this.running[index] : this.waiting.find((s) => s.req === req);
    if (seq === undefined) return;
    this.materialise();
    seq.live = false;
    if (seq.adapter >= 0) this.releaseAdapter(seq.adapter);
    // Only the running list and the head of the queue decide the next step's make-up.
    if (index >= 0) {
      this.running.splice(index, 1);
      seq.releaseBlocks(this.kv);
      this.cutPlan();
    } else if (this.waiting.peek() === seq) {
      this.waiting.shift();
      this.cutPlan();
    } else {
      this.waiting.remove(seq);
    }
    this.idle.check(this.outstanding());
  }

  abortAll(dropCause: DropCause, rejectCause: RejectCause): void {
    const now = this.sim.now;
    if (this.planActive) {
      this.materialise();
      const current = this.stepInProgress();
      this.counters.steps = this.planFirstStep + current;
      // The step in progress is cut, counted as the last: the clock stops now, at its pace.
      this.lastStepSeconds = this.planEnds[current] - (current > 1 ? this.planEnds[current - 1] : this.planStart);
      this.lastStepEnd = now;
      this.sim.cancel(this.stepEvent);
      this.stepEvent = -1;
      this.planActive = false;
    }
    this.sim.cancel(this.wakeEvent);
    this.wakeEvent = -1;
    const cut = this.running.splice(0, this.running.length);
    for (const seq of cut) seq.releaseBlocks(this.kv);
    const queued: Sequence[] = [];
    this.waiting.drainInto(queued);
    for (const seq of cut) seq.live = false;
    for (const seq of queued) seq.live = false;
    if (this.heldByAdapter !== null) {
      this.heldByAdapter.fill(0);
      this.adaptersHeld = 0;
    }
    for (const seq of cut) this.sink.dropped(seq.req, now, dropCause);
    // A preempted request waits again, but its generation had started: cut, not refused.
    for (const seq of queued) {
      if (seq.generated > 0) this.sink.dropped(seq.req, now, dropCause);
      else this.sink.rejected(seq.req, now, rejectCause);
    }
    this.idle.check(this.outstanding());
  }

  outstanding(): number {
    return this.running.length + this.waiting.size;
  }

  pace(): EnginePace {
    return { steps: this.counters.steps, lastStepEnd: this.lastStepEnd, lastStepSeconds: this.lastStepSeconds };
  }

  forEachRequest(visit: (req: Request) => void): void {
    this.materialise();
    for (const seq of this.running) visit(seq.req);
    this.waiting.find((seq) => {
      visit(seq.req);
      return false;
    });
  }

  waitingCount(): number {
    return this.waiting.size;
  }

  runningCount(): number {
    return this.running.length;
  }

  kvUsage(): number {
    return this.kv.usage();
  }

  hasRoom(): boolean {
    return this.waiting.size === 0 && this.running.length < this.config.maxNumSeqs && this.kv.availableBlocks > 0;
  }

  /**
   * Fills the prefix cache with these prefixes before the replica serves (a warm-up that replays them), as
   * unreferenced cached blocks: the first in the list ends up most recently used, so it is evicted last. A prefix
   * stops the warm-up when it no longer fits in free blocks. Only on an idle replica with prefix caching.
   */
  warmPrefixes(prefixes: readonly WarmPrefix[]): void {
    if (this.outstanding() > 0) throw new InternalError('warmPrefixes on a replica that already holds requests');
    if (!this.config.prefixCaching) return;
    const kv = this.kv;
    for (let i = prefixes.length - 1; i >= 0; i--) {
      const { group, tokens } = prefixes[i];
      const blocks = kv.fullBlocks(tokens) - kv.prefix.residentBlocks(group);
      if (blocks <= 0) continue;
      if (blocks > kv.freeBlocks) return;
      const entry = kv.prefix.acquire(group);
      kv.allocate(blocks);
      kv.publish(entry, blocks);
      kv.prefix.release(entry);
    }
  }

  hasPrefix(group: number): boolean {
    return this.config.prefixCaching && this.kv.prefix.residentBlocks(group) > 0;
  }

  /** Its adapter is in a GPU slot or wanted by a request it holds (the endpoint picker's "active or waiting"). */
  hasAdapter(adapter: number): boolean {
    if (this.lora === null || adapter < 0) return false;
    return this.heldByAdapter![adapter] > 0 || this.lora.inGpu(adapter);
  }

  /** LoRA slots not claimed by the adapters of the requests it holds (max_loras minus those); 0 without LoRA. */
  freeAdapterSlots(): number {
    return this.lora === null ? 0 : Math.max(0, this.lora.config.maxLoras - this.adaptersHeld);
  }

  onIdle(listener: () => void): void {
    this.idle.add(listener);
  }

  // ---- event handlers --------------------------------------------------------------------------------------

  private wake(): void {
    this.wakeEvent = -1;
    if (!this.planActive) this.startPlan();
    this.idle.check(this.outstanding());
  }

  /** The last step of the plan ended: apply it, tell the sink, plan the next steps. */
  private endPlan(): void {
    this.stepEvent = -1;
    this.inStep = true;
    this.counters.steps = this.planFirstStep + this.planSteps;
    this.lastStepEnd = this.sim.now;
    this.lastStepSeconds = this.sim.now - (this.planSteps > 1 ? this.planEnds[this.planSteps - 1] : this.planStart);
    this.planActive = false;
    const notices = this.applyStepResults(this.planSteps > 1 ? this.planSteps - 1 - this.planDone : 0);
    this.notify(notices);
    this.inStep = false;
    this.startPlan();
    this.idle.check(this.outstanding());
  }

  // ---- plans ------------------------------------------------------------------------------------------------

  /** Forms the next step's batch, plans it (and as many identical steps after it as allowed) and its end event. */
  private startPlan(): void {
    if (this.running.length === 0 && this.waiting.size === 0) return;
    const schedule = this.schedule;
    scheduleStep(this.engine, this.config, schedule);
    this.counters.preemptions += schedule.preempted;
    this.counters.prefixHitTokens += schedule.prefixHitTokens;
    this.counters.prefixQueryTokens += schedule.prefixQueryTokens;
    if (this.prefixTally !== undefined) {
      this.prefixTally.hitTokens += schedule.prefixHitTokens;
      this.prefixTally.queryTokens += schedule.prefixQueryTokens;
    }
    const batch = this.batch;
    if (batch.prefillSeqs === 0 && batch.decodeSeqs === 0) {
      throw new InternalError('an engine step scheduled nothing although requests are outstanding');
    }
    const first = this.counters.steps;
    this.planFirstStep = first;
    this.planStart = this.sim.now;
    this.planDone = 0;
    // vLLM loads the batch's missing adapters before running the step: the whole step waits for them.
    let loadSeconds = 0;
    if (this.lora !== null) {
      this.lora.stats.slotWaits += schedule.adapterSkips;
      loadSeconds = this.lora.activateBatch();
      this.planFactor = this.lora.kernelFactor();
    }
    const firstEnd = this.sim.now + loadSeconds + this.stepDuration(first);
    const steps = schedule.preempted === 0 && batch.prefillSeqs === 0 && batch.decodeSeqs === this.running.length ? this.unchangingDecodeSteps() : 1;
    if (steps >= this.planEnds.length) this.planEnds = new Float64Array(Math.max(steps + 1, 2 * this.planEnds.length));
    const ends = this.planEnds;
    ends[1] = firstEnd;
    // Each following step reads one more token of context per sequence; its end is added step by step, exactly
    // as one event per step would.
    for (let m = 2; m <= steps; m++) {
      batch.decodeContextTokens += batch.decodeSeqs;
      ends[m] = ends[m - 1] + this.stepDuration(first + m - 1);
    }
    this.planSteps = steps;
    this.planActive = true;
    this.stepEvent = this.sim.at(this.planEnds[steps], this.stepEndHandler);
  }

  /**
   * How many steps, starting with the one just scheduled (pure decode, every running request in it), keep the
   * same make-up: none completes before the last, and the KV blocks the growing contexts need fit without
   * preemption. Admission stays impossible meanwhile: budget and slots do not change and free blocks only shrink.
   */
  private unchangingDecodeSteps(): number {
    // Phase A of this step scheduled every running request: it noted the least output any of them has left.
    const limit = Math.min(this.maxStepsPerEvent, this.schedule.minRemainingOutput);
    if (limit <= 1) return 1;
    const available = this.kv.availableBlocks;
    // Each request holds the blocks of its first step, so `limit` steps cost it at most one block per blockSize
    // tokens after that: when even that bound fits, so does the exact count, and the scan is not needed.
    if (this.running.length * Math.ceil((limit - 1) / this.kv.blockSize) <= available) return limit;
    if (this.blocksNeededBy(limit) <= available) return limit;
    let fits = 1;
    let fails = limit;
    while (fails - fits > 1) {
      const mid = Math.floor((fits + fails) / 2);
      if (this.blocksNeededBy(mid) <= available) fits = mid;
      else fails = mid;
    }
    return fits;
  }

  /** Extra blocks the running requests need to hold their KV through `steps` more decode steps. */
  private blocksNeededBy(steps: number): number {
    const kv = this.kv;
    let need = 0;
    const running = this.running;
    for (let i = 0; i < running.length; i++) need += kv.blocksBeyond(running[i].numComputed + steps, running[i].blocks);
    return need;
  }

  private stepDuration(step: number): number {
    const base = this.stepTime.stepSeconds(this.batch) * this.stepTimeFactor * this.planFactor;
    if (!(base >= 0)) throw new InternalError(`step-time model ${this.stepTime.name} returned ${base} s`);
    if (step >= this.coldSteps) return base;
    const cold = this.config.coldStart;
    if (step === 0) return base + cold.firstStepSeconds;
    return base * (1 + ((cold.initialFactor - 1) * (cold.steps + 1 - step)) / cold.steps);
  }

  // ---- results -----------------------------------------------------------------------------------------------

  /**
   * Applies the end of the plan to every running request, in one pass: first the `decodeSteps` pure-decode steps
   * of a multi-step plan not applied yet (with the blocks of its last step), then the step that just ended:
   * computed tokens advance, a request whose computed tokens caught up with its tokens emits one (the first at
   * the end of prefill), finished ones leave. Finished requests free their blocks after the pass, so each
   * allocation in it sees the free blocks it would see stepping one step at a time. Returns the number of
   * notices queued for the sink.
   */
  private applyStepResults(decodeSteps: number): number {
    const now = this.sim.now;
    const running = this.running;
    let notices = 0;
    let kept = 0;
    for (let i = 0; i < running.length; i++) {
      const seq = running[i];
      if (decodeSteps > 0) this.advanceDecode(seq, decodeSteps);
      const tokens = seq.scheduled;
      if (tokens > 0) {
        const wasPrefilling = seq.numComputed < seq.prefillEnd;
        seq.numComputed += tokens;
        seq.scheduled = 0;
        if (wasPrefilling && seq.prefixEntry >= 0) this.publishPrefix(seq);
        if (seq.numComputed === seq.numTokens) {
          const req = seq.req;
          seq.generated++;
          seq.numTokens++;
          req.tokensStreamed = seq.generated;
          let flags = 0;
          if (seq.generated === 1) {
            req.firstTokenAt = now;
            flags = FIRST_TOKEN;
          }
          if (seq.generated >= seq.outputTokens) {
            req.finishedAt = now;
            flags |= COMPLETED;
            seq.live = false;
          }
          if (flags !== 0) {
            this.notifySequences[notices] = seq;
            this.notifyFlags[notices++] = flags;
          }
          if (flags & COMPLETED) continue;
        }
      }
      if (kept !== i) running[kept] = seq; // storing a pointer costs a write barrier: skip the no-op ones
      kept++;
    }
    if (kept !== running.length) running.length = kept; // setting it, even unchanged, is a runtime call
    for (let n = 0; n < notices; n++) {
      if (!(this.notifyFlags[n] & COMPLETED)) continue;
      const seq = this.notifySequences[n]!;
      seq.releaseBlocks(this.kv);
      if (seq.adapter >= 0) this.releaseAdapter(seq.adapter);
    }
    return notices;
  }

  /** Full prefix blocks this request computed beyond what the cache holds join the cache. */
  private publishPrefix(seq: Sequence): void {
    const computedFull = Math.min(this.kv.fullBlocks(seq.numComputed), seq.prefixBlocks);
    const grown = computedFull - this.kv.prefix.blocksOf(seq.prefixEntry);
    if (grown <= 0) return;
    this.kv.publish(seq.prefixEntry, grown);
    seq.privateBlocks -= grown;
    seq.sharedBlocks += grown;
  }

  private notify(count: number): void {
    const now = this.sim.now;
    for (let n = 0; n < count; n++) {
      const seq = this.notifySequences[n]!;
      const req = seq.req;
      const flags = this.notifyFlags[n];
      this.notifySequences[n] = undefined;
      if (flags & FIRST_TOKEN) {
        // A sink callback earlier in this loop may have cancelled or aborted it.
        if (!(flags & COMPLETED) && !seq.live) continue;
        if (seq.adapter >= 0) this.recordAdapterTtft(seq, now);
        this.sink.firstToken(req, now);
      }
      if (flags & COMPLETED) this.sink.completed(req, now);
    }
  }

  // ---- LoRA bookkeeping (only for requests with an adapter) ---------------------------------------------------

  private holdAdapter(seq: Sequence): void {
    const lora = this.lora;
    if (lora === null) throw new InternalError(`request ${seq.req.id} names adapter ${seq.adapter}, but the server serves none`);
    const adapter = seq.adapter;
    seq.adapterMiss = !lora.inGpu(adapter);
    const stats = lora.stats;
    stats.requestsByAdapter[adapter]++;
    if (seq.adapterMiss) stats.missRequests++;
    else stats.hitRequests++;
    if (this.heldByAdapter![adapter]++ === 0) this.adaptersHeld++;
  }

  private releaseAdapter(adapter: number): void {
    if (--this.heldByAdapter![adapter] === 0) this.adaptersHeld--;
  }

  private recordAdapterTtft(seq: Sequence, now: number): void {
    const stats = this.lora!.stats;
    (seq.adapterMiss ? stats.missTtft : stats.hitTtft).add(now - seq.req.arrival);
  }

  // ---- multi-step plans --------------------------------------------------------------------------------------

  /** Index (1-based) of the plan's step in progress now: the first whose end lies after now, else the last. */
  private stepInProgress(): number {
    const ends = this.planEnds;
    let lo = this.planDone + 1;
    let hi = this.planSteps;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ends[mid] > this.sim.now) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * Brings requests' tokensStreamed and the accessors up to now inside a run of skipped steps: for whoever reads
   * them between events (metrics sampling, the end of a run). Applies the ended steps (pure decode, no
   * completion) and allocates the blocks of the one in progress.
   */
  materialise(): void {
    if (!this.planActive || this.planSteps === 1) return;
    const ended = this.stepInProgress() - 1;
    if (ended > this.planDone) {
      this.applyDecodeSteps(ended - this.planDone);
      this.planDone = ended;
    }
  }

  /** `steps` decode steps of the plan, then the blocks of the following step (proved to fit when planned). */
  private applyDecodeSteps(steps: number): void {
    if (steps <= 0) return;
    const running = this.running;
    for (let i = 0; i < running.length; i++) this.advanceDecode(running[i], steps);
  }

  /** One request through `steps` decode steps, then the blocks of its next step. */
  private advanceDecode(seq: Sequence, steps: number): void {
    seq.numComputed += steps;
    seq.numTokens += steps;
    seq.generated += steps;
    seq.req.tokensStreamed = seq.generated;
    const need = this.kv.blocksBeyond(seq.numComputed + 1, seq.blocks);
    if (need > 0) {
      this.kv.allocate(need);
      seq.privateBlocks += need;
    }
  }

  /** The batch is about to change: the plan ends with the step in progress. */
  private cutPlan(): void {
    if (!this.planActive || this.inStep) return;
    const current = this.stepInProgress();
    if (current === this.planSteps) return;
    this.sim.cancel(this.stepEvent);
    this.planSteps = current;
    this.stepEvent = this.sim.at(this.planEnds[current], this.stepEndHandler);
  }
}
