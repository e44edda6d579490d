import type { Simulator } from '../engine/simulator.js';
import { InternalError } from '../errors.js';
import { QuantileSketch } from '../metrics/sketch.js';
import type { DecodeSide, PrefillStage } from '../serving/decode-front.js';
import { kvTransferSeconds, type KvTransferLink } from '../serving/disaggregation.js';
import type { DropCause, RejectCause, Request, RequestSink, VersionRole } from '../traffic/request.js';
import type { Endpoint, EndpointSource } from './endpoint.js';
import { LeastOutstandingPicker } from './policies.js';

/** What the prefill stage measured over a run (the summary's disaggregation block). */
export class PrefillStageStats {
  /** Seconds from reaching the prefill pod to its first token (queue + prefill). */
  readonly prefill = new QuantileSketch();
  /** Seconds of each KV transfer. */
  readonly transfer = new QuantileSketch();
  /** Requests that ended in their prefill stage: no prefill endpoint, refused or cut by the prefill pod. */
  noPrefillEndpoint = 0;
  failedOnPrefillPod = 0;
  /** Requests whose decode pod stopped while they were in their prefill stage. */
  cutByDecodePod = 0;
}

const NO_EVENT = -1;

/**
 * The prefill stage of disaggregated serving: for a request a decode pod took, picks a prefill pod of the same
 * version (least outstanding among the prefill Service's endpoints: the KV layout is a version's own), sends it
 * the prompt, and when the prefill pod's engine (a Replica in `prefill-only` mode, reporting here) has produced the
 * first token, holds the request for the KV transfer, then hands it to its decode pod. The prefill pod's first
 * token is not the client's: vLLM's proxy streams every token from the decode pod.
 *
 * Requests in the stage live in a slot table (the transfer event's argument is the slot), found by request id.
 */
export class PrefillDispatcher implements PrefillStage, RequestSink {
  readonly stats = new PrefillStageStats();
  private readonly slotOf = new Map<number, number>();
  private readonly reqs: (Request | null)[] = [];
  private readonly sides: (DecodeSide | null)[] = [];
  /** The prefill pod working on it, or null while its KV is in transfer. */
  private readonly pods: (Endpoint | null)[] = [];
  private readonly events: number[] = [];
  private readonly startedAt: number[] = [];
  private readonly free: number[] = [];
  private readonly onArrived: number;
  private readonly picker = new LeastOutstandingPicker();

  constructor(
    private readonly sim: Simulator,
    private readonly prefill: EndpointSource,
    private readonly link: KvTransferLink,
  ) {
    if (!(link.bandwidth > 0)) throw new InternalError(`KV transfer bandwidth ${link.bandwidth}`);
    this.onArrived = sim.handler((slot) => this.arrived(slot));
  }

  begin(req: Request, side: DecodeSide): void {
    const candidates = this.prefill.endpoints(req.version as VersionRole);
    if (candidates.length === 0) {
      this.stats.noPrefillEndpoint++;
      side.prefillFailed(req, this.sim.now, 'rejected', 'no-endpoint');
      return;
    }
    const pod = candidates[this.picker.pick(candidates)];
    const slot = this.free.length > 0 ? (this.free.pop() as number) : this.reqs.length;
    this.reqs[slot] = req;
    this.sides[slot] = side;
    this.pods[slot] = pod;
    this.events[slot] = NO_EVENT;
    this.startedAt[slot] = this.sim.now;
    this.slotOf.set(req.id, slot);
    pod.accept(req);
  }

  cancel(req: Request): boolean {
    const slot = this.slotOf.get(req.id);
    if (slot === undefined) return false;
    this.stopWork(slot);
    this.release(slot);
    return true;
  }

  abortFor(side: DecodeSide, visit: (req: Request) => void): void {
    for (const slot of [...this.slotOf.values()]) {
      if (this.sides[slot] !== side) continue;
      const req = this.reqs[slot] as Request;
      this.stopWork(slot);
      this.release(slot);
      this.stats.cutByDecodePod++;
      visit(req);
    }
  }

  /** Does a prefill pod hold this request (its refusals come back through the cluster's request sink)? */
  holds(req: Request): boolean {
    const slot = this.slotOf.get(req.id);
    return slot !== undefined && this.pods[slot] !== null;
  }

  // RequestSink of the prefill pods' engines (and of their refusals).

  firstToken(): void {
    // The prefill pod's first token stays inside the serving stack; the client gets the decode pod's.
  }

  completed(req: Request, at: number): void {
    const slot = this.slotFor(req);
    // The prefill engine marked the request as started and finished: for the client it has only begun.
    req.firstTokenAt = NaN;
    req.finishedAt = NaN;
    req.tokensStreamed = 0;
    this.pods[slot] = null;
    const seconds = kvTransferSeconds(req.promptTokens, this.link.bytesPerToken, this.link.bandwidth, this.link.latency);
    this.stats.prefill.add(at - this.startedAt[slot]);
    this.stats.transfer.add(seconds);
    this.events[slot] = this.sim.after(seconds, this.onArrived, slot);
  }

  dropped(req: Request, at: number, cause: DropCause): void {
    this.fail(req, at, 'dropped', cause);
  }

  rejected(req: Request, at: number, cause: RejectCause): void {
    this.fail(req, at, 'rejected', cause);
  }

  private fail(req: Request, at: number, outcome: 'dropped' | 'rejected', cause: DropCause | RejectCause): void {
    const slot = this.slotFor(req);
    const side = this.sides[slot] as DecodeSide;
    this.release(slot);
    this.stats.failedOnPrefillPod++;
    side.prefillFailed(req, at, outcome, cause);
  }

  private arrived(slot: number): void {
    const req = this.reqs[slot] as Request;
    const side = this.sides[slot] as DecodeSide;
    this.release(slot);
    side.prefilled(req);
  }

  private stopWork(slot: number): void {
    const pod = this.pods[slot];
    if (pod !== null) pod.cancel(this.reqs[slot] as Request);
    else this.sim.cancel(this.events[slot]);
  }

  private release(slot: number): void {
    this.slotOf.delete((this.reqs[slot] as Request).id);
    this.reqs[slot] = null;
    this.sides[slot] = null;
    this.pods[slot] = null;
    this.events[slot] = NO_EVENT;
    this.free.push(slot);
  }

  private slotFor(req: Request): number {
    const slot = this.slotOf.get(req.id);
    if (slot === undefined || this.pods[slot] === null) throw new InternalError(`prefill pod reported request ${req.id}, which it does not hold`);
    return slot;
  }
}

/**
 * The cluster's request sink (where pods report requests they refuse) in a disaggregated run: a prefill pod's
 * refusal ends the request's prefill stage; every other goes to the router.
 */
export function podRefusalSink(dispatcher: PrefillDispatcher, router: RequestSink): RequestSink {
  return {
    firstToken: (req, at) => router.firstToken(req, at),
    completed: (req, at) => router.completed(req, at),
    dropped: (req, at, cause) => router.dropped(req, at, cause),
    rejected: (req, at, cause) => (dispatcher.holds(req) ? dispatcher.rejected(req, at, cause) : router.rejected(req, at, cause)),
  };
}
