import type { Request } from './request.js';

/** The first attempt of a new logical request; `attempt` counts from 1. */
export function firstAttempt(
  id: number,
  at: number,
  promptTokens: number,
  outputTokens: number,
  prefixGroup: number,
  prefixTokens: number,
): Request {
  return make(id, id, 1, at, at, promptTokens, outputTokens, prefixGroup, prefixTokens, false);
}

/** A retry: a new attempt of the same logical request, arriving now. */
export function nextAttempt(prev: Request, id: number, at: number): Request {
  return make(
    id, prev.logicalId, prev.attempt + 1, prev.firstArrival, at,
    prev.promptTokens, prev.outputTokens, prev.prefixGroup, prev.prefixTokens, false,
  );
}

/** A mirrored copy of `req` (shadow traffic): same work, its own id, answer discarded. */
export function mirrorOf(req: Request, id: number, at: number): Request {
  return make(
    id, req.logicalId, req.attempt, req.firstArrival, at,
    req.promptTokens, req.outputTokens, req.prefixGroup, req.prefixTokens, true,
  );
}

// One constructor site keeps every Request the same object shape (one hidden class for the hot paths).
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
): Request {
  return {
    id,
    logicalId,
    attempt,
    firstArrival,
    arrival,
    promptTokens,
    outputTokens,
    prefixGroup,
    prefixTokens,
    shadow,
    version: null,
    podId: -1,
    firstTokenAt: NaN,
    finishedAt: NaN,
    tokensStreamed: 0,
  };
}
