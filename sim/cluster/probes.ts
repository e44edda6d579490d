/**
 * Kubernetes container probes (core/v1 SetDefaults_Probe; docs probes.md), rollout-semantics.md §2.1, as pure
 * arithmetic. The kubelet-side driver that runs them is in prober.ts.
 */
import { PROBE_TIMING_DEFAULTS } from '../config/upstream-defaults.js';

/**
 * What the probe checks. `port`: a TCP connect, passes once the server listens (with listenAt: process-start
 * that is before the model can serve); `health`: GET /health, passes once the engine can serve (init and
 * warm-up done); `synthetic-inference`: a real completion that must finish within timeoutSeconds, so a cold
 * engine's slow first inference counts against it.
 */
export type ProbeKind = 'port' | 'health' | 'synthetic-inference';
export const PROBE_KINDS: readonly ProbeKind[] = ['port', 'health', 'synthetic-inference'];

export interface ProbeSpec {
  readonly kind: ProbeKind;
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
  /** synthetic-inference only: seconds one probe inference takes on a warm engine. */
  readonly inferenceSeconds: number;
  /** synthetic-inference only: seconds the first inference on a cold engine takes (kernels, handles). */
  readonly coldInferenceSeconds: number;
}

/**
 * Kubernetes' timing defaults; the synthetic inference times are ours: ~13 ms warm and ~1.1 s for the very
 * first inference after load, measured on an H200 with an 8B model (serving-model.md, introduction), rounded up
 * for the HTTP round trip.
 */
export const PROBE_DEFAULTS: Omit<ProbeSpec, 'kind'> = {
  ...PROBE_TIMING_DEFAULTS,
  inferenceSeconds: 0.05,
  coldInferenceSeconds: 1.1,
};

/** A probe with every default filled in (templates built in code, tests). */
export function makeProbe(kind: ProbeKind, overrides: Partial<Omit<ProbeSpec, 'kind'>> = {}): ProbeSpec {
  return { kind, ...PROBE_DEFAULTS, ...overrides };
}

/** What a probe can observe of the container at the instant it runs. */
export interface ProbeTarget {
  /** The server's port accepts connections. */
  readonly listening: boolean;
  /** The engine serves requests (init and warm-up done, not stopped). */
  readonly servable: boolean;
  /** Kernels are warm (a warm-up ran, or an earlier inference did). */
  readonly warm: boolean;
}

export interface ProbeResult {
  readonly success: boolean;
  /** Seconds until the result is known: the inference time, or the timeout when it does not answer in time. */
  readonly after: number;
}

const IMMEDIATE_SUCCESS: ProbeResult = { success: true, after: 0 };
const IMMEDIATE_FAILURE: ProbeResult = { success: false, after: 0 };

export function probeOutcome(spec: ProbeSpec, target: ProbeTarget): ProbeResult {
  switch (spec.kind) {
    case 'port':
      return target.listening ? IMMEDIATE_SUCCESS : IMMEDIATE_FAILURE;
    case 'health':
      return target.servable ? IMMEDIATE_SUCCESS : IMMEDIATE_FAILURE;
    case 'synthetic-inference': {
      // A refused connection or a 503 answers at once; a slow inference is cut at the timeout.
      if (!target.servable) return IMMEDIATE_FAILURE;
      const seconds = target.warm ? spec.inferenceSeconds : spec.coldInferenceSeconds;
      return seconds <= spec.timeoutSeconds ? { success: true, after: seconds } : { success: false, after: spec.timeoutSeconds };
    }
  }
}

/**
 * Probe k runs at start + initialDelay + k·period, k ≥ 0, where start is the container start (or the startup
 * probe's success for liveness and readiness): the reference's modelling rule (§2.1), under which readiness
 * lags servability by at most one period. Returns the first such time at or after `now`.
 */
export function nextProbeTime(spec: ProbeSpec, start: number, now: number): number {
  const first = start + spec.initialDelaySeconds;
  if (now <= first) return first;
  return first + Math.ceil((now - first) / spec.periodSeconds - 1e-9) * spec.periodSeconds;
}

/** Consecutive results of one probe; `record` says when a threshold is crossed. */
export class ProbeCounter {
  private successes = 0;
  private failures = 0;

  constructor(private readonly spec: ProbeSpec) {}

  /** Returns 'passed' / 'failed' on the result that reaches successThreshold / failureThreshold, else null. */
  record(success: boolean): 'passed' | 'failed' | null {
    if (success) {
      this.failures = 0;
      this.successes++;
      return this.successes === this.spec.successThreshold ? 'passed' : null;
    }
    this.successes = 0;
    this.failures++;
    return this.failures === this.spec.failureThreshold ? 'failed' : null;
  }

  reset(): void {
    this.successes = 0;
    this.failures = 0;
  }
}

/** CrashLoopBackOff: 10 s after the first restart, doubling to a 300 s cap; reset after 10 min of running. */
export const CRASH_LOOP_INITIAL_SECONDS = 10;
export const CRASH_LOOP_MAX_SECONDS = 300;
export const CRASH_LOOP_RESET_SECONDS = 600;

/**
 * The kubelet's back-off after a container death: `previousDeaths` consecutive deaths before this one, and
 * `ranSeconds` how long it ran this time (10 min or more starts the count again).
 */
export function nextCrashLoop(previousDeaths: number, ranSeconds: number): { deaths: number; delay: number } {
  const deaths = ranSeconds >= CRASH_LOOP_RESET_SECONDS ? 1 : previousDeaths + 1;
  return { deaths, delay: Math.min(CRASH_LOOP_INITIAL_SECONDS * 2 ** (deaths - 1), CRASH_LOOP_MAX_SECONDS) };
}
