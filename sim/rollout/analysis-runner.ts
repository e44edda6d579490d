import { InputError } from '../errors.js';
import { ExpressionError, UnknownFieldError } from '../expressions/errors.js';
import { compileExpression, type CompiledExpression } from '../expressions/safe-eval.js';
import type { Telemetry } from '../metrics/recorder.js';
import { AnalysisRunState, type AnalysisPhase, type MeasurementInput } from './analysis.js';
import type { AnalysisMetric, AnalysisTemplate } from './analysis-schema.js';
import type { RolloutHost } from './host.js';

/**
 * The fields an analysis query reads, per version (`new`, `old`, `all`): latencies in milliseconds over the
 * metric's window, counts, and the error rate. A field with no data in the window is absent, so a query that
 * reads it errors (an Error measurement, as a Prometheus query returning nothing does in Argo).
 */
export interface TelemetryFields {
  ttftMeanMs?: number;
  ttftP50Ms?: number;
  ttftP95Ms?: number;
  ttftP99Ms?: number;
  tpotMeanMs?: number;
  tpotP50Ms?: number;
  tpotP95Ms?: number;
  tpotP99Ms?: number;
  e2eMeanMs?: number;
  e2eP50Ms?: number;
  e2eP95Ms?: number;
  e2eP99Ms?: number;
  completed: number;
  dropped: number;
  rejected: number;
  timedOut: number;
  finished: number;
  errorRate?: number;
}

/** `shadow` is the telemetry of mirrored copies (shadow-to-blue-green analyses green on them). */
const QUERY_VERSIONS = ['new', 'old', 'all', 'shadow'] as const;
export type TelemetrySource = (typeof QUERY_VERSIONS)[number];

export function telemetryFields(t: Telemetry): TelemetryFields {
  const fields: TelemetryFields = {
    completed: t.completed,
    dropped: t.dropped,
    rejected: t.rejected,
    timedOut: t.timedOut,
    finished: t.finished,
  };
  const put = (name: keyof TelemetryFields, seconds: number | null) => {
    if (seconds !== null) (fields[name] as number) = seconds * 1000;
  };
  for (const [prefix, view] of [['ttft', t.ttft], ['tpot', t.tpot], ['e2e', t.e2e]] as const) {
    put(`${prefix}MeanMs`, view.mean);
    put(`${prefix}P50Ms`, view.quantile(0.5));
    put(`${prefix}P95Ms`, view.quantile(0.95));
    put(`${prefix}P99Ms`, view.quantile(0.99));
  }
  if (t.errorRate !== null) fields.errorRate = t.errorRate;
  return fields;
}

/** A scope where every field exists, to reject queries naming fields that never exist, before the run. */
function fullScope(): Record<string, TelemetryFields> {
  const all: TelemetryFields = {
    completed: 1, dropped: 0, rejected: 0, timedOut: 0, finished: 1, errorRate: 0,
    ttftMeanMs: 1, ttftP50Ms: 1, ttftP95Ms: 1, ttftP99Ms: 1, tpotMeanMs: 1, tpotP50Ms: 1, tpotP95Ms: 1,
    tpotP99Ms: 1, e2eMeanMs: 1, e2eP50Ms: 1, e2eP95Ms: 1, e2eP99Ms: 1,
  };
  return Object.fromEntries(QUERY_VERSIONS.map((v) => [v, all]));
}

/** Compiles a query and checks the fields it reads exist: a typo is a bad-input error at `path`, not a failed check. */
export function compileQuery(query: string, path: string): CompiledExpression {
  const compiled = compileExpression(query);
  try {
    compiled.evaluate(fullScope());
  } catch (err) {
    if (err instanceof UnknownFieldError) {
      throw new InputError(
        `${err.message}; queries read new.*, old.*, all.* or shadow.* fields: ${Object.keys(fullScope().all).join(', ')}`,
        path,
      );
    }
    throw err;
  }
  return compiled;
}

/** Compiles and checks every query of the named templates up front: a typo is a bad-input error, not a rollback. */
export function resolveTemplates(
  names: readonly string[],
  templates: Readonly<Record<string, AnalysisTemplate>>,
  path: string,
): AnalysisMetric[] {
  const metrics: AnalysisMetric[] = [];
  for (const name of names) {
    const template = templates[name];
    if (!template) {
      const known = Object.keys(templates);
      throw new InputError(
        `no analysis template "${name}"; declare it under spec.rollout.analysisTemplates` +
          (known.length ? ` (declared: ${known.join(', ')})` : ''),
        path,
      );
    }
    for (const [i, metric] of template.metrics.entries()) {
      compileQuery(metric.query, `spec.rollout.analysisTemplates.${name}.metrics[${i}].query`);
      metrics.push(metric);
    }
  }
  return metrics;
}

/**
 * One AnalysisRun: takes each metric's measurements when due (the controller's sync calls `tick`), reading the
 * simulated telemetry through the host, and logs every measurement as a rollout event.
 */
export class AnalysisRunner {
  private readonly state: AnalysisRunState;
  private readonly queries: CompiledExpression[];

  constructor(
    private readonly host: RolloutHost,
    private readonly label: string,
    private readonly metrics: readonly AnalysisMetric[],
  ) {
    this.state = new AnalysisRunState(metrics, host.now());
    this.queries = metrics.map((m) => compileExpression(m.query));
    this.scheduleNext();
  }

  get phase(): AnalysisPhase {
    return this.state.phase;
  }

  /** Takes every measurement due by now; returns true when the run's phase changed. */
  tick(): boolean {
    const before = this.state.phase;
    const now = this.host.now();
    for (let i = 0; i < this.metrics.length; i++) {
      const due = this.state.nextMeasurementTime(i);
      if (due === null || due > now) continue;
      const m = this.state.recordMeasurement(i, now, this.measure(i, now));
      const value = m.value === null ? '' : ` value=${JSON.stringify(m.value)}`;
      this.host.log('AnalysisMeasurement', `${this.label}/${m.metric}: ${m.phase}${value}${m.message ? ` (${m.message})` : ''}`);
    }
    this.scheduleNext();
    if (this.state.phase !== before) this.host.log('AnalysisRun', `${this.label}: ${this.state.phase}`);
    return this.state.phase !== before;
  }

  terminate(): void {
    if (!this.state.completed) this.state.terminate();
  }

  private measure(i: number, now: number): MeasurementInput {
    const window = this.metrics[i].window;
    const scope: Record<string, TelemetryFields> = {};
    for (const version of QUERY_VERSIONS) {
      scope[version] = telemetryFields(this.host.telemetry(version, Math.max(0, now - window), now));
    }
    try {
      const value = this.queries[i].evaluate(scope);
      if (typeof value === 'number') return value;
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value as number[];
      return { error: `query gave ${JSON.stringify(value)}, not a number` };
    } catch (err) {
      if (err instanceof ExpressionError) return { error: err.message };
      throw err;
    }
  }

  private scheduleNext(): void {
    let next = Infinity;
    for (let i = 0; i < this.metrics.length; i++) {
      const due = this.state.nextMeasurementTime(i);
      if (due !== null && due < next) next = due;
    }
    if (next < Infinity) this.host.wakeAt(Math.max(next, this.host.now()));
  }
}
