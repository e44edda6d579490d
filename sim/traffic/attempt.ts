import type { Request, VersionRole } from './request.js';

/** The first attempt of a new logical request; `attempt` counts from 1. */
export function firstAttempt(
  id: number,
  at: number,
  promptTokens: number,
  outputTokens: number,
  prefixGroup: number,
  prefixTokens: number,
  adapter = -1,
): Request {
  return make(id, id, 1, at, at, promptTokens, outputTokens, prefixGroup, prefixTokens, false, adapter);
}

/** A retry: a new attempt of the same logical request, arriving now. */
export function nextAttempt(prev: Request, id: number, at: number): Request {
  return make(
    id, prev.logicalId, prev.attempt + 1, prev.firstArrival, at,
    prev.promptTokens, prev.outputTokens, prev.prefixGroup, prev.prefixTokens, false, prev.requestedAdapter,
  );
}

/** A mirrored copy of `req` (shadow traffic): same work, its own id, answer discarded. */
export function mirrorOf(req: Request, id: number, at: number): Request {
  return make(
    id, req.logicalId, req.attempt, req.firstArrival, at,
    req.promptTokens, req.outputTokens, req.prefixGroup, req.prefixTokens, true, req.requestedAdapter,
  );
}

/** A test request (preview traffic): like a mirrored copy, its answer is discarded and no client waits for it. */
export function testRequest(id: number, at: number, promptTokens: number, outputTokens: number): Request {
  return make(id, id, 1, at, at, promptTokens, outputTokens, -1, 0, true, -1);
}

/**
 * Every Request is an Attempt: one class keeps one object shape (one hidden class for the hot paths). A class
 * rather than an object literal also keeps V8's allocation-site pretenuring out: for a literal V8 tracks whether
 * its objects survive young-generation collections and may switch to allocating them in the old generation;
 * flip-flopping on that decision made some long runs far slower to create requests, with nearly twice the
 * memory (docs/performance.md).
 */
class Attempt implements Request {
  version: VersionRole | null = null;
  podId = -1;
  firstTokenAt = NaN;
  finishedAt = NaN;
  tokensStreamed = 0;
  adapter: number;

  constructor(
    readonly id: number,
    readonly logicalId: number,
    readonly attempt: number,
    readonly firstArrival: number,
    readonly arrival: number,
    readonly promptTokens: number,
    readonly outputTokens: number,
    readonly prefixGroup: number,
    readonly prefixTokens: number,
    readonly shadow: boolean,
    readonly requestedAdapter: number,
  ) {
    this.adapter = requestedAdapter;
  }
}

function make(
  id: number,
  logicalId: number,
  attempt: number,
  firstArrival: number,
  arrival: number,
  promptTokens: number,
  outputTokens: number,
  prefixGroup: number,
  prefixTokens: number,
  shadow: boolean,
  requestedAdapter: number,
): Request {
  return new Attempt(id, logicalId, attempt, firstArrival, arrival, promptTokens, outputTokens, prefixGroup, prefixTokens, shadow, requestedAdapter);
}
