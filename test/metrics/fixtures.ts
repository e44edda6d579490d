import type { Gauges } from '../../sim/metrics/series.js';
import { GAUGE_FIELDS } from '../../sim/metrics/series.js';
import type { Request } from '../../sim/traffic/request.js';

export type MutableRequest = { -readonly [K in keyof Request]: Request[K] };

let nextId = 0;

/** A request as the client layer would hand it over; times default to "not yet". */
export function makeRequest(fields: Partial<Request> = {}): MutableRequest {
  nextId++;
  return {
    id: nextId,
    logicalId: nextId,
    attempt: 0,
    firstArrival: 0,
    arrival: 0,
    promptTokens: 100,
    outputTokens: 11,
    prefixGroup: -1,
    prefixTokens: 0,
    shadow: false,
    requestedAdapter: -1,
    adapter: -1,
    version: 'old',
    podId: 0,
    firstTokenAt: Number.NaN,
    finishedAt: Number.NaN,
    tokensStreamed: 0,
    ...fields,
  };
}

/** A completed request: arrived at `arrival`, first token after `ttft`, finished `ttft + decode` later. */
export function servedRequest(arrival: number, ttft: number, decode: number, fields: Partial<Request> = {}): MutableRequest {
  return makeRequest({
    firstArrival: arrival,
    arrival,
    firstTokenAt: arrival + ttft,
    finishedAt: arrival + ttft + decode,
    ...fields,
  });
}

export function makeGauges(values: Partial<Gauges> = {}): Gauges {
  const gauges = Object.fromEntries(GAUGE_FIELDS.map((field) => [field, 0])) as unknown as Gauges;
  return { ...gauges, ...values };
}
