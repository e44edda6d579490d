import { ARGO_ROLLOUT_DEFAULTS } from '../config/upstream-defaults.js';
import { intCount, percent, type IntOrPercent } from '../config/int-or-percent.js';
import type { CanaryStep } from '../rollout/strategy-schema.js';
import { surgePods, unavailablePods } from './config.js';

/**
 * The values the planner tries for each knob, in increasing order, so monotone knobs can be bisected. They
 * span what operators use (startup-and-drain.md, suggested drain defaults: preStop 10–15 s, shutdown-timeout
 * 30–45 s for chat and 300 s for long reasoning).
 */

export const PRESTOP_LADDER: readonly number[] = [0, 2, 5, 10, 15, 20, 30];
export const SHUTDOWN_TIMEOUT_LADDER: readonly number[] = [0, 10, 20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600];
/** Blue-green soaks from Argo's default 30 s up: below it blue is gone before a rollback could use it. */
export const SOAK_LADDER: readonly number[] = [ARGO_ROLLOUT_DEFAULTS.scaleDownDelaySeconds, 60, 120, 300];
/** A fast readiness period: a health check every 2 s costs the server nothing measurable. */
export const FAST_PROBE_PERIOD_SECONDS = 2;
/** minReadySeconds tried to calm a latency spike: long enough for a new replica's cold kernels to warm. */
export const REPAIR_MIN_READY_SECONDS = 30;
/** Slow start tried to calm a cold join (issue 15: a 60-120 s window removes the spike of a 70B fleet). */
export const REPAIR_SLOW_START_SECONDS = 60;
/** A wait for a routable pod tried where requests were refused (docs/gateway.md). */
export const REPAIR_WAIT_FOR_ENDPOINT_SECONDS = 60;

const SURGE_CANDIDATES: readonly IntOrPercent[] = [intCount(1), intCount(2), percent(10), percent(25), percent(50), percent(75), percent(100)];
const UNAVAILABLE_CANDIDATES: readonly IntOrPercent[] = [intCount(1), percent(25), percent(50)];

/** Surge values giving distinct pod counts, fewest pods first. */
export function surgeLadder(replicas: number): IntOrPercent[] {
  return distinctBy(SURGE_CANDIDATES, (v) => surgePods(v, replicas)).filter((v) => surgePods(v, replicas) >= 1);
}

/** Unavailability values giving distinct pod counts from 1 up to half the fleet. */
export function unavailableLadder(replicas: number): IntOrPercent[] {
  return distinctBy(UNAVAILABLE_CANDIDATES, (v) => unavailablePods(v, replicas)).filter((v) => {
    const pods = unavailablePods(v, replicas);
    return pods >= 1 && pods <= replicas / 2;
  });
}

function distinctBy<T>(values: readonly T[], key: (v: T) => number): T[] {
  const seen = new Set<number>();
  const out = values.filter((v) => {
    const k = key(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return out.sort((a, b) => key(a) - key(b));
}

export type CanaryShape = { readonly name: string; readonly weights: readonly number[] };

export interface CanaryTemplate {
  readonly name: string;
  readonly shape: CanaryShape;
  readonly steps: readonly CanaryStep[];
  /** Seconds the steps pause in all: a template that pauses longer never finishes sooner. */
  readonly pauseSeconds: number;
}

const pause = (seconds: number): CanaryStep => ({ pause: { duration: seconds } });

/**
 * Canary step lists are generated from a few shapes of traffic weights (one step to half; a tenth, then half;
 * quarters; fifths), each weight followed by a pause from CANARY_PAUSES_SECONDS: the short pause first, the
 * longer one only where it could help (docs/plan.md).
 */
export const CANARY_SHAPES: readonly CanaryShape[] = [
  { name: 'half', weights: [50] },
  { name: 'tenth, half', weights: [10, 50] },
  { name: 'quarters', weights: [25, 50, 75] },
  { name: 'fifths', weights: [20, 40, 60, 80] },
];
/** Pauses after each weight: 30 s lets a new pod's first requests show; 60 s, its first minute of load. */
export const CANARY_PAUSES_SECONDS: readonly number[] = [30, 60];

/** A shape's step list with `pauseSeconds` after each weight ("quarters, 30s each"). */
export function canaryTemplate(shape: CanaryShape, pauseSeconds: number): CanaryTemplate {
  return {
    name: `${shape.name}, ${pauseSeconds}s each`,
    shape,
    steps: shape.weights.flatMap((w) => [{ setWeight: w }, pause(pauseSeconds)]),
    pauseSeconds: pauseSeconds * shape.weights.length,
  };
}

/** Every shape at one pause, shortest total pause first. */
export function canaryTemplates(pauseSeconds: number): CanaryTemplate[] {
  return CANARY_SHAPES.map((shape) => canaryTemplate(shape, pauseSeconds)).sort((a, b) => a.pauseSeconds - b.pauseSeconds);
}
