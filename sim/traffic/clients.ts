import type { Rng } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import { InputError, InternalError } from '../errors.js';
import { firstAttempt, nextAttempt } from './attempt.js';
import type { FailureOutcome, OutcomeListener } from './outcome.js';
import type { DropCause, RejectCause, Request, RequestSink, TimeoutCause } from './request.js';

/** Where clients send attempts (the router). `cancel` is a client giving up: nothing more is reported for it. */
export interface RequestTarget {
  accept(req: Request): void;
  cancel(req: Request): void;
}

export interface Backoff {
  /** Delay before the first retry; each further retry doubles it, up to `max`. */
  base: number;
  max: number;
  /** ± fraction of the delay drawn at random, so retries of a burst do not arrive together. */
  jitter: number;
}

export interface RetryPolicy {
  /** Retries after the first attempt. */
  max: number;
  on: readonly FailureOutcome[];
  backoff: Backoff;
}

export interface ClientOptions {
  /** Give up on an attempt with no first token after this long (null: wait for ever). */
  ttftTimeout: number | null;
  /** Give up on an attempt that has not completed after this long. */
  timeout: number | null;
  retries: RetryPolicy | null;
}

/** Delay before retry number `retry` (1-based): capped exponential back-off, then jitter (as gRPC does). */
export function backoffDelay(retry: number, backoff: Backoff, u: number): number {
  const capped = Math.min(backoff.max, backoff.base * 2 ** (retry - 1));
  return capped * (1 + backoff.jitter * (2 * u - 1));
}

interface ActiveAttempt {
  readonly req: Request;
  ttftTimer: number;
  totalTimer: number;
}

const NO_TIMER = -1;

/**
 * The clients: each logical request is sent as attempts (a retry is a new attempt with the same firstArrival),
 * each attempt has its own time-outs, and only the logical request's final outcome goes to the listener.
 * Servers (through the router) report to this layer as the RequestSink.
 */
export class ClientLayer implements RequestSink {
  private target: RequestTarget | null = null;
  private lastId = 0;
  private logicalInFlight = 0;
  /**
   * Live attempts and their timers, by id; kept only when a time-out is configured. Without one an attempt ends
   * only by its server's report, so there is nothing to look up, cancel or ignore: no map entry, no timer.
   */
  private readonly active = new Map<number, ActiveAttempt>();
  private readonly tracksAttempts: boolean;
  /** Failed attempts waiting for their retry, by attempt id (the retry event's argument). */
  private readonly backingOff = new Map<number, Request>();
  private readonly onTtftTimeout: number;
  private readonly onTotalTimeout: number;
  private readonly onRetry: number;

  constructor(
    private readonly sim: Simulator,
    private readonly rng: Rng,
    private readonly options: ClientOptions,
    private readonly listener: OutcomeListener,
    path = 'client',
  ) {
    checkOptions(options, path);
    this.tracksAttempts = options.ttftTimeout !== null || options.timeout !== null;
    this.onTtftTimeout = sim.handler((id) => this.timeOut(id, 'ttft-timeout'));
    this.onTotalTimeout = sim.handler((id) => this.timeOut(id, 'total-timeout'));
    this.onRetry = sim.handler((id) => this.retry(id));
  }

  connect(target: RequestTarget): void {
    this.target = target;
  }

  /** Logical requests not finished yet (in service, queued, or waiting to retry). */
  get inFlight(): number {
    return this.logicalInFlight;
  }

  /** A new logical request arrives now. */
  arrive(promptTokens: number, outputTokens: number, prefixGroup: number, prefixTokens: number, adapter = -1): void {
    const now = this.sim.now;
    this.logicalInFlight++;
    this.listener.arrived(now);
    this.send(firstAttempt(++this.lastId, now, promptTokens, outputTokens, prefixGroup, prefixTokens, adapter));
  }

  firstToken(req: Request, at: number): void {
    const id = this.client(req).id;
    let attempt: ActiveAttempt | undefined;
    if (this.tracksAttempts) {
      attempt = this.active.get(id);
      if (attempt === undefined) return; // a late report after a time-out
    }
    if (Number.isNaN(req.firstTokenAt)) req.firstTokenAt = at;
    if (attempt !== undefined && attempt.ttftTimer !== NO_TIMER) {
      this.sim.cancel(attempt.ttftTimer);
      attempt.ttftTimer = NO_TIMER;
    }
  }

  completed(req: Request, at: number): void {
    if (this.end(this.client(req), at)) this.settle(req, at, 'completed', '');
  }

  dropped(req: Request, at: number, cause: DropCause): void {
    if (this.end(this.client(req), at)) this.settle(req, at, 'dropped', cause);
  }

  rejected(req: Request, at: number, cause: RejectCause): void {
    if (this.end(this.client(req), at)) this.settle(req, at, 'rejected', cause);
  }

  private send(req: Request): void {
    const target = this.target;
    if (target === null) throw new InternalError('ClientLayer.connect(router) was not called before traffic started');
    if (this.tracksAttempts) {
      const { ttftTimeout, timeout } = this.options;
      this.active.set(req.id, {
        req,
        ttftTimer: ttftTimeout === null ? NO_TIMER : this.sim.after(ttftTimeout, this.onTtftTimeout, req.id),
        totalTimer: timeout === null ? NO_TIMER : this.sim.after(timeout, this.onTotalTimeout, req.id),
      });
    }
    target.accept(req);
  }

  private timeOut(id: number, cause: TimeoutCause): void {
    const attempt = this.active.get(id);
    if (attempt === undefined) return;
    const now = this.sim.now;
    this.end(attempt.req, now);
    (this.target as RequestTarget).cancel(attempt.req);
    this.settle(attempt.req, now, 'timedOut', cause);
  }

  /** Forgets a live attempt and its timers; false if it had already ended (a late report after a time-out). */
  private end(req: Request, at: number): boolean {
    if (this.tracksAttempts) {
      const attempt = this.active.get(req.id);
      if (attempt === undefined) return false;
      this.active.delete(req.id);
      if (attempt.ttftTimer !== NO_TIMER) this.sim.cancel(attempt.ttftTimer);
      if (attempt.totalTimer !== NO_TIMER) this.sim.cancel(attempt.totalTimer);
    }
    if (Number.isNaN(req.finishedAt)) req.finishedAt = at;
    return true;
  }

  private settle(req: Request, at: number, outcome: 'completed' | FailureOutcome, cause: string): void {
    if (outcome === 'completed') {
      this.logicalInFlight--;
      this.listener.completed(req, at);
      return;
    }
    const retries = this.options.retries;
    if (retries !== null && this.retries(req, outcome)) {
      this.backingOff.set(req.id, req);
      this.sim.after(backoffDelay(req.attempt, retries.backoff, this.rng.next()), this.onRetry, req.id);
      this.listener.retried();
      return;
    }
    this.logicalInFlight--;
    this.listener.failed(req, at, outcome, cause);
  }

  /** An attempt that ends with `outcome` is tried again (it is not the logical request's final outcome). */
  retries(req: Request, outcome: FailureOutcome): boolean {
    const retries = this.options.retries;
    return retries !== null && req.attempt <= retries.max && retries.on.includes(outcome);
  }

  private retry(failedId: number): void {
    const failed = this.backingOff.get(failedId) as Request;
    this.backingOff.delete(failedId);
    this.send(nextAttempt(failed, ++this.lastId, this.sim.now));
  }

  /** `req`, checked to be a client attempt. */
  private client(req: Request): Request {
    // The router keeps mirrored copies to itself; one arriving here means the sinks are wired wrongly.
    if (req.shadow) throw new InternalError(`shadow request ${req.id} was reported to the client layer`);
    return req;
  }
}

function checkOptions(options: ClientOptions, path: string): void {
  for (const key of ['ttftTimeout', 'timeout'] as const) {
    const v = options[key];
    if (v !== null && !(v > 0)) throw new InputError({ expected: 'a time-out above 0 seconds', got: String(v) }, `${path}.${key}`);
  }
  const retries = options.retries;
  if (retries === null) return;
  if (!(Number.isInteger(retries.max) && retries.max >= 0)) {
    throw new InputError({ expected: 'a whole number of retries, 0 or more', got: String(retries.max) }, `${path}.retries.max`);
  }
  const { base, max, jitter } = retries.backoff;
  if (!(base > 0)) throw new InputError({ expected: 'a delay above 0 seconds', got: String(base) }, `${path}.retries.backoff.base`);
  if (!(max >= base)) {
    throw new InputError({ expected: `at least the base delay (${base}s)`, got: String(max) }, `${path}.retries.backoff.max`);
  }
  if (!(jitter >= 0 && jitter <= 1)) {
    throw new InputError({ expected: 'a fraction between 0 and 1', got: String(jitter) }, `${path}.retries.backoff.jitter`);
  }
}
