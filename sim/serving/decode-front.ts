import type { Simulator } from '../engine/simulator.js';
import type { DropCause, RejectCause, Request, RequestSink } from '../traffic/request.js';
import { IdleNotifier } from './queue-station.js';
import type { EnginePace, Server } from './server.js';

/** How a request's prefill stage ended, for the decode pod that took it. */
export interface DecodeSide {
  /** The prompt's KV cache arrived: the request joins the decode engine. */
  prefilled(req: Request): void;
  /** The prefill stage failed (no prefill pod, refused, cut): the request ends so, before any token. */
  prefillFailed(req: Request, at: number, outcome: 'dropped' | 'rejected', cause: DropCause | RejectCause): void;
}

/** The prefill stage a decode pod hands its requests to (routing/prefill-dispatch.ts). */
export interface PrefillStage {
  /** Prefill `req` on a prefill pod and send its KV back to `side`; the outcome comes through `side`. */
  begin(req: Request, side: DecodeSide): void;
  /** Stop `req`'s prefill or transfer; false when it is not in that stage. Nothing is reported. */
  cancel(req: Request): boolean;
  /** Stop every request of `side` still in its prefill stage; visits each (nothing is reported). */
  abortFor(side: DecodeSide, visit: (req: Request) => void): void;
}

/**
 * The server of a decode pod in disaggregated serving: what vLLM's disaggregation proxy (or llm-d's routing
 * sidecar) and the decode engine do together. A request the gateway sends here is first prefilled on a prefill
 * pod and its KV cache sent over; only then does it join this pod's engine (a Replica in `prefilled` mode), which
 * streams every token to the client. Requests still in their prefill stage count as outstanding here: the
 * gateway's load balancing and the pod's drain see them, and the pod's termination refuses them
 * (`rejectCause`: no token was generated yet).
 */
export class DecodeFront implements Server, DecodeSide {
  /** Requests of this pod in their prefill stage (prefill or KV transfer). */
  private inPrefill = 0;
  private readonly idle = new IdleNotifier();

  constructor(
    private readonly sim: Simulator,
    private readonly engine: Server,
    private readonly sink: RequestSink,
    private readonly prefill: PrefillStage,
  ) {
    engine.onIdle(() => this.idle.check(this.outstanding()));
  }

  submit(req: Request): void {
    this.inPrefill++;
    this.idle.markBusy();
    this.prefill.begin(req, this);
  }

  prefilled(req: Request): void {
    this.inPrefill--;
    this.engine.submit(req);
    this.idle.check(this.outstanding());
  }

  prefillFailed(req: Request, at: number, outcome: 'dropped' | 'rejected', cause: DropCause | RejectCause): void {
    this.inPrefill--;
    if (outcome === 'dropped') this.sink.dropped(req, at, cause as DropCause);
    else this.sink.rejected(req, at, cause as RejectCause);
    this.idle.check(this.outstanding());
  }

  cancel(req: Request): void {
    if (this.inPrefill > 0 && this.prefill.cancel(req)) {
      this.inPrefill--;
      this.idle.check(this.outstanding());
      return;
    }
    this.engine.cancel(req);
  }

  /** The decode pod stops: requests still in their prefill stage are refused, the engine's are cut as usual. */
  abortAll(dropCause: DropCause, rejectCause: RejectCause): void {
    const refused: Request[] = [];
    this.prefill.abortFor(this, (req) => refused.push(req));
    this.inPrefill = 0;
    this.engine.abortAll(dropCause, rejectCause);
    for (const req of refused) this.sink.rejected(req, this.sim.now, rejectCause);
    this.idle.check(this.outstanding());
  }

  outstanding(): number {
    return this.engine.outstanding() + this.inPrefill;
  }

  pace(): EnginePace | null {
    return this.engine.pace();
  }

  forEachRequest(visit: (req: Request) => void): void {
    this.engine.forEachRequest(visit);
  }

  waitingCount(): number {
    return this.engine.waitingCount();
  }

  runningCount(): number {
    return this.engine.runningCount();
  }

  kvUsage(): number {
    return this.engine.kvUsage();
  }

  hasRoom(): boolean {
    return this.engine.hasRoom();
  }

  hasPrefix(group: number): boolean {
    return this.engine.hasPrefix(group);
  }

  onIdle(listener: () => void): void {
    this.idle.add(listener);
  }

  materialise(): void {
    this.engine.materialise();
  }
}
