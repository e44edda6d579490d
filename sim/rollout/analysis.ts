/**
 * Argo Rollouts AnalysisRun semantics (rollout-semantics.md §3.4; argo-rollouts analysis/analysis.go,
 * utils/evaluate/evaluate.go, utils/analysis/helpers.go) as a pure state machine. It does not take measurements:
 * the caller asks when each metric is next due, measures however it likes, and records the value (or an error).
 * Measurements are instantaneous (started = finished = `at`).
 */
import { ARGO_ANALYSIS_DEFAULTS } from '../config/upstream-defaults.js';
import { InputError, InternalError } from '../errors.js';
import { ExpressionError } from '../expressions/errors.js';
import { compileExpression, type CompiledExpression } from '../expressions/safe-eval.js';

export interface MetricSpec {
  readonly name: string;
  /** Seconds between the end of one measurement and the next. Unset: a single measurement (see effectiveCount). */
  readonly interval?: number;
  /** Measurements to take; unset or 0 means 1 without an interval and "until the run is terminated" with one. */
  readonly count?: number;
  /** Seconds after the run starts before the first measurement. */
  readonly initialDelay?: number;
  /** Expressions over `result` (the measured value). */
  readonly successCondition?: string;
  readonly failureCondition?: string;
  /** Failed measurements tolerated (default 0); -1 disables the failure limit. */
  readonly failureLimit?: number;
  /** Inconclusive measurements tolerated (default 0). */
  readonly inconclusiveLimit?: number;
  /** Consecutive errored measurements tolerated (default 4). */
  readonly consecutiveErrorLimit?: number;
  /** Consecutive successes that complete the metric successfully (default 0 = off). */
  readonly consecutiveSuccessLimit?: number;
}

export type AnalysisPhase = 'Pending' | 'Running' | 'Successful' | 'Inconclusive' | 'Error' | 'Failed';
export type MeasurementPhase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';
/** A scalar result, or a vector (Prometheus-style) read as `result[0]`. */
export type MeasurementValue = number | readonly number[];
export type MeasurementInput = MeasurementValue | { readonly error: string };

export interface Measurement {
  readonly metricIndex: number;
  readonly metric: string;
  readonly at: number;
  readonly phase: MeasurementPhase;
  readonly value: MeasurementValue | null;
  /** Why the measurement errored. */
  readonly message: string | null;
}

/** A problem with a metric spec, located for the scenario schema. */
export interface MetricProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** analysisStatusOrder: best to worst; the run takes the worst of its completed metrics. */
const PHASE_ORDER: readonly AnalysisPhase[] = ['Successful', 'Running', 'Pending', 'Inconclusive', 'Error', 'Failed'];

export function isCompleted(phase: AnalysisPhase): boolean {
  return phase === 'Successful' || phase === 'Failed' || phase === 'Error' || phase === 'Inconclusive';
}

function worse(a: AnalysisPhase | null, b: AnalysisPhase): AnalysisPhase {
  return a === null || PHASE_ORDER.indexOf(b) > PHASE_ORDER.indexOf(a) ? b : a;
}

/**
 * EffectiveCount: how many measurements complete the metric. count unset/0 without interval ⇒ 1 (a one-shot
 * check); unset/0 with an interval ⇒ null, measure until the run is terminated (background analysis).
 */
export function effectiveCount(m: MetricSpec): number | null {
  if (m.count === undefined || m.count === 0) return m.interval === undefined ? 1 : null;
  return m.count;
}

// The limits a metric leaves unset, as Argo reads them.
const failureLimit = (m: MetricSpec) => m.failureLimit ?? ARGO_ANALYSIS_DEFAULTS.failureLimit;
const inconclusiveLimit = (m: MetricSpec) => m.inconclusiveLimit ?? ARGO_ANALYSIS_DEFAULTS.inconclusiveLimit;
const consecutiveErrorLimit = (m: MetricSpec) => m.consecutiveErrorLimit ?? ARGO_ANALYSIS_DEFAULTS.consecutiveErrorLimit;
const consecutiveSuccessLimit = (m: MetricSpec) => m.consecutiveSuccessLimit ?? ARGO_ANALYSIS_DEFAULTS.consecutiveSuccessLimit;

/** ValidateMetrics (Argo ≥ 1.8 rules) plus: conditions must compile and read only `result`. */
export function metricProblems(metrics: readonly MetricSpec[]): MetricProblem[] {
  if (metrics.length === 0) return [{ path: [], message: 'no metrics specified; give at least one' }];
  const problems: MetricProblem[] = [];
  const seen = new Set<string>();
  for (const [i, m] of metrics.entries()) {
    const at = (field: string, message: string) => problems.push({ path: [i, field], message });
    if (seen.has(m.name)) at('name', `duplicate metric name "${m.name}"`);
    seen.add(m.name);
    if (m.interval !== undefined && !(m.interval > 0)) at('interval', `must be more than 0 seconds, got ${m.interval}`);
    if (m.initialDelay !== undefined && !(m.initialDelay >= 0)) at('initialDelay', `must be 0 or more seconds, got ${m.initialDelay}`);
    const limits: [keyof MetricSpec, number | undefined, number][] = [
      ['count', m.count, 0],
      ['failureLimit', m.failureLimit, -1],
      ['inconclusiveLimit', m.inconclusiveLimit, 0],
      ['consecutiveErrorLimit', m.consecutiveErrorLimit, 0],
      ['consecutiveSuccessLimit', m.consecutiveSuccessLimit, 0],
    ];
    for (const [field, value, min] of limits) {
      if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
        at(field, `must be an integer of ${min} or more, got ${value}`);
      }
    }
    const count = m.count ?? 0;
    if (count > 1 && m.interval === undefined) at('interval', `must be set when count (${count}) is more than 1`);
    if (count > 0) {
      if (count < failureLimit(m)) at('count', `must be at least failureLimit (${failureLimit(m)}), got ${count}`);
      if (count < inconclusiveLimit(m)) at('count', `must be at least inconclusiveLimit (${m.inconclusiveLimit}), got ${count}`);
      if (count < consecutiveSuccessLimit(m)) {
        at('count', `must be at least consecutiveSuccessLimit (${consecutiveSuccessLimit(m)}), got ${count}`);
      }
    }
    if (failureLimit(m) === -1 && consecutiveSuccessLimit(m) === 0) {
      at('failureLimit', 'failureLimit -1 disables failures, so consecutiveSuccessLimit must be more than 0 (one of them must apply)');
    }
    for (const field of ['successCondition', 'failureCondition'] as const) {
      const text = m[field];
      if (text === undefined) continue;
      try {
        const foreign = compileExpression(text).symbols.filter((s) => !/^result(\[|$)/.test(s));
        if (foreign.length > 0) at(field, `may only refer to result (the measured value), not ${foreign.join(', ')}`);
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        at(field, err.message);
      }
    }
  }
  return problems;
}

/** Throws an InputError naming the first problem, e.g. `analysis.metrics[0].count: ...`. */
export function validateMetrics(metrics: readonly MetricSpec[], path: string): void {
  const [first] = metricProblems(metrics);
  if (first === undefined) return;
  const where = first.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
  throw new InputError(first.message, `${path}${where}`);
}

export interface MetricConditions {
  readonly success: CompiledExpression | null;
  readonly failure: CompiledExpression | null;
}

/**
 * EvaluateResult: the phase of one measurement from the conditions evaluated on `result`.
 * only success ⇒ Failed when it is false; only failure ⇒ Successful when it is false; both ⇒ failure wins and
 * neither true is Inconclusive; none ⇒ Successful. A condition that cannot be evaluated ⇒ Error.
 * Example: success `result[0] < 0.05`, failure `result[0] > 0.1`, result [0.07] ⇒ Inconclusive.
 */
export function measurementPhase(
  conditions: MetricConditions,
  value: MeasurementValue,
): { readonly phase: MeasurementPhase; readonly message: string | null } {
  const scope = { result: value };
  let success = false;
  let failure = false;
  try {
    if (conditions.success) success = conditions.success.evaluateBoolean(scope);
    if (conditions.failure) failure = conditions.failure.evaluateBoolean(scope);
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    return { phase: 'Error', message: err.message };
  }
  if (!conditions.success && !conditions.failure) return { phase: 'Successful', message: null };
  if (!conditions.failure) failure = !success;
  if (!conditions.success) success = !failure;
  if (failure) return { phase: 'Failed', message: null };
  return { phase: success ? 'Successful' : 'Inconclusive', message: null };
}

function isErrorInput(input: MeasurementInput): input is { readonly error: string } {
  return typeof input === 'object' && !Array.isArray(input);
}

/** MetricResult: the counters Argo keeps per metric. */
interface MetricResult {
  measured: number;
  /** Completed measurements that were not errors (Argo's `count`). */
  count: number;
  failed: number;
  inconclusive: number;
  consecutiveErrors: number;
  consecutiveSuccesses: number;
  lastAt: number;
  lastPhase: MeasurementPhase | null;
  phase: AnalysisPhase;
}

/**
 * One AnalysisRun. Phases follow Argo:
 * - a metric is Failed when failed > failureLimit (unless -1), Inconclusive when inconclusive >
 *   inconclusiveLimit, Error when consecutive errors > consecutiveErrorLimit (checked in that order, the later
 *   one winning); else Successful once consecutiveSuccessLimit consecutive successes are reached, or once its
 *   count is reached (Inconclusive if both limits applied and neither was met, Failed if only the
 *   consecutive-success limit applied);
 * - a Failed, Error or Inconclusive metric terminates the run: the other metrics stop measuring, and those still
 *   running indefinitely end Successful; `terminate()` does the same when the rollout no longer needs the run;
 * - the run is the worst of its completed metrics once all are complete (or once terminating), Running before;
 *   a metric is Pending until its first measurement.
 * Note `failureLimit: 3` fails on the 4th failed measurement.
 */
export class AnalysisRunState {
  private readonly results: MetricResult[];
  private readonly conditions: MetricConditions[];
  private readonly log: Measurement[] = [];
  private terminateRequested = false;
  /** Argo reconciles a new run at once, so it is Running from the start (Pending is a metric-level phase). */
  private runPhase: AnalysisPhase = 'Running';

  constructor(
    readonly metrics: readonly MetricSpec[],
    readonly startedAt: number,
  ) {
    validateMetrics(metrics, 'analysis.metrics');
    if (!Number.isFinite(startedAt)) throw new InternalError(`analysis started at ${startedAt}`);
    this.conditions = metrics.map((m) => ({
      success: m.successCondition === undefined ? null : compileExpression(m.successCondition),
      failure: m.failureCondition === undefined ? null : compileExpression(m.failureCondition),
    }));
    this.results = metrics.map(() => ({
      measured: 0,
      count: 0,
      failed: 0,
      inconclusive: 0,
      consecutiveErrors: 0,
      consecutiveSuccesses: 0,
      lastAt: startedAt,
      lastPhase: null,
      phase: 'Pending',
    }));
  }

  get phase(): AnalysisPhase {
    return this.runPhase;
  }

  get completed(): boolean {
    return isCompleted(this.runPhase);
  }

  /** Every measurement recorded, in order. */
  get measurements(): readonly Measurement[] {
    return this.log;
  }

  metricPhase(metricIndex: number): AnalysisPhase {
    return this.result(metricIndex).phase;
  }

  /**
   * When the metric is next due, or null when it takes no more measurements (complete, count reached, or the
   * run is terminating). First: startedAt + initialDelay. Then: the previous measurement's end + interval, or
   * + 10 s after an error. Argo measures once `now` is past that instant; here exactly at it.
   */
  nextMeasurementTime(metricIndex: number): number | null {
    const r = this.result(metricIndex);
    const m = this.metrics[metricIndex];
    if (isCompleted(r.phase) || this.terminating()) return null;
    if (r.measured === 0) return this.startedAt + (m.initialDelay ?? 0);
    const count = effectiveCount(m);
    if (count !== null && r.count >= count) return null;
    if (r.lastPhase === 'Error') return r.lastAt + ARGO_ANALYSIS_DEFAULTS.errorRetryIntervalSeconds;
    return m.interval === undefined ? null : r.lastAt + m.interval;
  }

  /** Records a measurement taken at `at` (not before it is due) and updates metric and run phases. */
  recordMeasurement(metricIndex: number, at: number, input: MeasurementInput): Measurement {
    const r = this.result(metricIndex);
    const m = this.metrics[metricIndex];
    const due = this.nextMeasurementTime(metricIndex);
    if (due === null) throw new InternalError(`analysis metric "${m.name}" takes no more measurements (phase ${r.phase})`);
    if (at < due) throw new InternalError(`analysis metric "${m.name}" measured at ${at}, before it is due at ${due}`);

    const value = isErrorInput(input) ? null : input;
    const { phase, message } = isErrorInput(input)
      ? { phase: 'Error' as const, message: input.error }
      : measurementPhase(this.conditions[metricIndex], input);

    r.measured++;
    r.lastAt = at;
    r.lastPhase = phase;
    if (phase === 'Error') {
      r.consecutiveErrors++;
      r.consecutiveSuccesses = 0;
    } else {
      r.count++;
      r.consecutiveErrors = 0;
      r.consecutiveSuccesses = phase === 'Successful' ? r.consecutiveSuccesses + 1 : 0;
      if (phase === 'Failed') r.failed++;
      if (phase === 'Inconclusive') r.inconclusive++;
    }
    const measurement: Measurement = { metricIndex, metric: m.name, at, phase, value, message };
    this.log.push(measurement);
    this.reassess();
    return measurement;
  }

  /** Spec.Terminate: the rollout no longer needs the run (it finished, or moved on). Measuring stops. */
  terminate(): void {
    this.terminateRequested = true;
    this.reassess();
  }

  private result(metricIndex: number): MetricResult {
    const r = this.results[metricIndex];
    if (r === undefined) throw new InternalError(`analysis has no metric ${metricIndex}`);
    return r;
  }

  /** IsTerminating: asked to stop, or a metric ended Failed, Error or Inconclusive. */
  private terminating(): boolean {
    return (
      this.terminateRequested ||
      this.results.some((r) => r.phase === 'Failed' || r.phase === 'Error' || r.phase === 'Inconclusive')
    );
  }

  /**
   * assessRunStatus, repeated until nothing changes: Argo re-reconciles right after a metric fails, and the
   * second pass is what ends the other metrics.
   */
  private reassess(): void {
    for (;;) {
      const terminating = this.terminating();
      let changed = false;
      for (const [i, r] of this.results.entries()) {
        const phase = this.assessMetric(this.metrics[i], r, terminating);
        if (phase !== r.phase) {
          r.phase = phase;
          changed = true;
        }
      }
      if (!changed) break;
    }
    this.runPhase = this.assessRun();
  }

  /** assessMetricStatus. */
  private assessMetric(m: MetricSpec, r: MetricResult, terminating: boolean): AnalysisPhase {
    if (isCompleted(r.phase)) return r.phase;
    if (r.measured === 0) return terminating ? 'Successful' : 'Pending';
    const limitBreached = this.limitBreached(m, r);
    if (limitBreached !== null) return limitBreached;
    const successLimit = consecutiveSuccessLimit(m);
    if (successLimit > 0 && r.consecutiveSuccesses >= successLimit) return 'Successful';
    const count = effectiveCount(m);
    if (count !== null && r.count >= count) {
      const failureApplies = failureLimit(m) >= 0;
      if (successLimit > 0) return failureApplies ? 'Inconclusive' : 'Failed';
      return 'Successful';
    }
    return terminating ? 'Successful' : 'Running';
  }

  /** assessMetricFailureInconclusiveOrError: later checks override earlier ones. */
  private limitBreached(m: MetricSpec, r: MetricResult): AnalysisPhase | null {
    let phase: AnalysisPhase | null = null;
    if (failureLimit(m) >= 0 && r.failed > failureLimit(m)) phase = 'Failed';
    if (r.inconclusive > inconclusiveLimit(m)) phase = 'Inconclusive';
    if (r.consecutiveErrors > consecutiveErrorLimit(m)) phase = 'Error';
    return phase;
  }

  /** Metrics not measured yet are skipped, as Argo has no result for them. */
  private assessRun(): AnalysisPhase {
    const terminating = this.terminating();
    let worst: AnalysisPhase | null = null;
    let allCompleted = true;
    for (const r of this.results) {
      if (r.measured === 0 || !isCompleted(r.phase)) {
        allCompleted = false;
        continue;
      }
      worst = worse(worst, r.phase);
    }
    if (terminating) return worst ?? 'Successful';
    return allCompleted && worst !== null ? worst : 'Running';
  }
}
