import { describe, expect, it } from 'vitest';
import { InputError, InternalError } from '../../sim/errors.js';
import { compileExpression } from '../../sim/expressions/safe-eval.js';
import {
  AnalysisRunState,
  effectiveCount,
  measurementPhase,
  validateMetrics,
  type MeasurementInput,
  type MetricSpec,
} from '../../sim/rollout/analysis.js';
import { zAnalysisTemplate } from '../../sim/rollout/analysis-schema.js';

/** Records each value when due and returns the metric phase after each. */
function feed(run: AnalysisRunState, metric: number, values: MeasurementInput[]): string[] {
  return values.map((v) => {
    const due = run.nextMeasurementTime(metric);
    if (due === null) throw new Error('metric not due');
    run.recordMeasurement(metric, due, v);
    return run.metricPhase(metric);
  });
}

const errorRate = (extra: Partial<MetricSpec> = {}): MetricSpec => ({
  name: 'error-rate',
  interval: 60,
  successCondition: 'result[0] < 0.05',
  ...extra,
});

describe('measurement phase from conditions (evaluate.go EvaluateResult)', () => {
  const cond = (success?: string, failure?: string) => ({
    success: success ? compileExpression(success) : null,
    failure: failure ? compileExpression(failure) : null,
  });

  it('only a success condition: failed when it is false', () => {
    expect(measurementPhase(cond('result < 5'), 3).phase).toBe('Successful');
    expect(measurementPhase(cond('result < 5'), 7).phase).toBe('Failed');
  });

  it('only a failure condition: successful when it is false', () => {
    expect(measurementPhase(cond(undefined, 'result > 5'), 3).phase).toBe('Successful');
    expect(measurementPhase(cond(undefined, 'result > 5'), 7).phase).toBe('Failed');
  });

  it('both: failure wins, neither true is Inconclusive', () => {
    const both = cond('result[0] < 0.05', 'result[0] > 0.1');
    expect(measurementPhase(both, [0.01]).phase).toBe('Successful');
    expect(measurementPhase(both, [0.07]).phase).toBe('Inconclusive');
    expect(measurementPhase(both, [0.2]).phase).toBe('Failed');
    expect(measurementPhase(cond('result > 0', 'result > 0'), 1).phase).toBe('Failed');
  });

  it('none: Successful; an expression that cannot be evaluated: Error', () => {
    expect(measurementPhase(cond(), 42).phase).toBe('Successful');
    const err = measurementPhase(cond('result[1] < 5'), [1]);
    expect(err.phase).toBe('Error');
    expect(err.message).toMatch(/"result" has 1 element/);
    expect(measurementPhase(cond('result + 1'), 1).phase).toBe('Error'); // not true/false
  });
});

describe('AnalysisRunState', () => {
  it('failureLimit 3 fails on the 4th failed measurement, not the 3rd', () => {
    const run = new AnalysisRunState([errorRate({ count: 10, failureLimit: 3 })], 0);
    expect(feed(run, 0, [[0.2], [0.01], [0.2], [0.2]])).toEqual(['Running', 'Running', 'Running', 'Running']);
    expect(run.phase).toBe('Running');
    expect(feed(run, 0, [[0.2]])).toEqual(['Failed']);
    expect(run.phase).toBe('Failed');
    expect(run.nextMeasurementTime(0)).toBeNull();
  });

  it('default failureLimit 0 fails on the first failure; count reached with tolerated failures is Successful', () => {
    const strict = new AnalysisRunState([errorRate({ count: 3 })], 0);
    expect(feed(strict, 0, [[0.01], [0.2]])).toEqual(['Running', 'Failed']);
    const tolerant = new AnalysisRunState([errorRate({ count: 3, failureLimit: 1 })], 0);
    expect(feed(tolerant, 0, [[0.2], [0.01], [0.01]])).toEqual(['Running', 'Running', 'Successful']);
    expect(tolerant.phase).toBe('Successful');
  });

  it('inconclusive beyond inconclusiveLimit makes the metric and the run Inconclusive', () => {
    const both = { successCondition: 'result < 5', failureCondition: 'result > 10' };
    const run = new AnalysisRunState([{ name: 'm', interval: 10, count: 5, inconclusiveLimit: 1, ...both }], 0);
    expect(feed(run, 0, [7, 1, 7])).toEqual(['Running', 'Running', 'Inconclusive']);
    expect(run.phase).toBe('Inconclusive');
  });

  it('consecutive errors: Error after more than 4 in a row; a good measurement resets the streak', () => {
    const run = new AnalysisRunState([errorRate()], 0);
    const err = { error: 'prometheus unreachable' };
    expect(feed(run, 0, [err, err, err, err, [0.01], err, err, err, err])).toEqual(Array(9).fill('Running'));
    expect(feed(run, 0, [err])).toEqual(['Error']);
    expect(run.phase).toBe('Error');
    expect(run.measurements.at(-1)).toMatchObject({ phase: 'Error', message: 'prometheus unreachable', value: null });
  });

  it('errors are retried after 10 s whatever the interval, and do not count toward count', () => {
    const run = new AnalysisRunState([errorRate({ count: 2 })], 100);
    expect(run.nextMeasurementTime(0)).toBe(100);
    run.recordMeasurement(0, 100, { error: 'timeout' });
    expect(run.nextMeasurementTime(0)).toBe(110);
    run.recordMeasurement(0, 110, [0.01]);
    expect(run.nextMeasurementTime(0)).toBe(170);
    run.recordMeasurement(0, 170, [0.01]);
    expect(run.metricPhase(0)).toBe('Successful');
    expect(run.nextMeasurementTime(0)).toBeNull();
  });

  it('timing: first at startedAt + initialDelay, then previous measurement + interval', () => {
    const run = new AnalysisRunState([errorRate({ interval: 30, count: 3, initialDelay: 15 })], 100);
    expect(run.phase).toBe('Running');
    expect(run.metricPhase(0)).toBe('Pending');
    expect(run.nextMeasurementTime(0)).toBe(115);
    run.recordMeasurement(0, 115, [0.01]);
    expect(run.nextMeasurementTime(0)).toBe(145);
    run.recordMeasurement(0, 150, [0.01]); // taken late: the interval counts from when it was taken
    expect(run.nextMeasurementTime(0)).toBe(180);
    run.recordMeasurement(0, 180, [0.01]);
    expect(run.phase).toBe('Successful');
    expect(run.measurements.map((m) => m.at)).toEqual([115, 150, 180]);
  });

  it('effective count: 1 without interval, indefinite with an interval only', () => {
    expect(effectiveCount({ name: 'a' })).toBe(1);
    expect(effectiveCount({ name: 'a', count: 0 })).toBe(1);
    expect(effectiveCount({ name: 'a', interval: 30 })).toBeNull();
    expect(effectiveCount({ name: 'a', interval: 30, count: 4 })).toBe(4);

    const once = new AnalysisRunState([{ name: 'smoke', successCondition: 'result == 1' }], 0);
    expect(feed(once, 0, [1])).toEqual(['Successful']);
    expect(once.nextMeasurementTime(0)).toBeNull();

    const background = new AnalysisRunState([errorRate()], 0);
    expect(feed(background, 0, Array(20).fill([0.01]))).toEqual(Array(20).fill('Running'));
    expect(background.nextMeasurementTime(0)).toBe(20 * 60);
    background.terminate();
    expect(background.phase).toBe('Successful');
    expect(background.nextMeasurementTime(0)).toBeNull();
  });

  it('a failed metric terminates the others; the run takes the worst phase', () => {
    const run = new AnalysisRunState(
      [
        errorRate({ interval: 10 }), // background, indefinite
        { name: 'smoke', successCondition: 'result == 1' },
        { name: 'late', initialDelay: 300, successCondition: 'result == 1' },
      ],
      0,
    );
    run.recordMeasurement(0, 0, [0.01]);
    expect(run.phase).toBe('Running');
    run.recordMeasurement(1, 0, 0);
    expect(run.metricPhase(1)).toBe('Failed');
    expect(run.metricPhase(0)).toBe('Successful'); // ended by the termination
    expect(run.nextMeasurementTime(0)).toBeNull();
    expect(run.nextMeasurementTime(2)).toBeNull(); // never measured
    expect(run.phase).toBe('Failed');
  });

  it('the run waits for every metric; worst of Successful and Inconclusive is Inconclusive', () => {
    const run = new AnalysisRunState(
      [
        { name: 'a', successCondition: 'result < 5' },
        { name: 'b', initialDelay: 60, successCondition: 'result < 5', failureCondition: 'result > 10' },
      ],
      0,
    );
    run.recordMeasurement(0, 0, 1);
    expect(run.metricPhase(0)).toBe('Successful');
    expect(run.phase).toBe('Running'); // b not measured yet
    run.recordMeasurement(1, 60, 7);
    expect(run.phase).toBe('Inconclusive');
  });

  it('consecutiveSuccessLimit: reached ⇒ Successful; count reached without it ⇒ Inconclusive (both limits) or Failed', () => {
    const ok = [1];
    const bad = [9];
    const cond = { successCondition: 'result[0] < 5', interval: 10 };
    const both = new AnalysisRunState([{ name: 'm', ...cond, count: 4, failureLimit: 3, consecutiveSuccessLimit: 2 }], 0);
    expect(feed(both, 0, [ok, bad, ok, ok])).toEqual(['Running', 'Running', 'Running', 'Successful']);
    const bothMissed = new AnalysisRunState([{ name: 'm', ...cond, count: 4, failureLimit: 3, consecutiveSuccessLimit: 2 }], 0);
    expect(feed(bothMissed, 0, [ok, bad, ok, bad])).toEqual(['Running', 'Running', 'Running', 'Inconclusive']);
    const onlySuccess = new AnalysisRunState([{ name: 'm', ...cond, count: 3, failureLimit: -1, consecutiveSuccessLimit: 2 }], 0);
    expect(feed(onlySuccess, 0, [bad, ok, bad])).toEqual(['Running', 'Running', 'Failed']);
    const waitFor = new AnalysisRunState([{ name: 'm', ...cond, failureLimit: -1, consecutiveSuccessLimit: 3 }], 0);
    expect(feed(waitFor, 0, [bad, bad, bad, bad, ok, ok, ok])).toEqual([...Array(6).fill('Running'), 'Successful']);
  });

  it('refuses measurements that are not due (caller bugs)', () => {
    const run = new AnalysisRunState([errorRate({ count: 1, initialDelay: 30 })], 0);
    expect(() => run.recordMeasurement(0, 10, [0.01])).toThrow(InternalError);
    run.recordMeasurement(0, 30, [0.01]);
    expect(() => run.recordMeasurement(0, 100, [0.01])).toThrow(/takes no more measurements/);
    expect(() => run.recordMeasurement(3, 100, [0.01])).toThrow(/no metric 3/);
  });
});

describe('metric validation (Argo ValidateMetrics)', () => {
  it.each<[MetricSpec[], RegExp]>([
    [[], /no metrics specified/],
    [[{ name: 'a', count: 2 }], /analysis\.metrics\[0\]\.interval: must be set when count \(2\) is more than 1/],
    [[{ name: 'a' }, { name: 'a' }], /metrics\[1\]\.name: duplicate metric name "a"/],
    [[{ name: 'a', count: 2, interval: 5, failureLimit: 3 }], /count: must be at least failureLimit \(3\)/],
    [[{ name: 'a', failureLimit: -1 }], /failureLimit: failureLimit -1 disables failures/],
    [[{ name: 'a', failureLimit: -2 }], /must be an integer of -1 or more/],
    [[{ name: 'a', successCondition: 'requests.dropped == 0' }], /successCondition: may only refer to result/],
    [[{ name: 'a', failureCondition: 'import({})' }], /failureCondition: .*"import" is disabled/],
    [[{ name: 'a', interval: 0 }], /interval: must be more than 0 seconds/],
  ])('refuses %j', (metrics, message) => {
    expect(() => validateMetrics(metrics, 'analysis.metrics')).toThrow(InputError);
    expect(() => validateMetrics(metrics, 'analysis.metrics')).toThrow(message);
  });
});

describe('zAnalysisTemplate', () => {
  it('parses the scenario form with durations into seconds', () => {
    const parsed = zAnalysisTemplate.parse({
      name: 'canary-health',
      metrics: [
        {
          name: 'error-rate',
          query: 'requests.new.errorRate',
          interval: '30s',
          initialDelay: '2m',
          count: 5,
          successCondition: 'result < 0.05',
          failureLimit: 1,
        },
      ],
    });
    expect(parsed.metrics[0]).toMatchObject({ interval: 30, initialDelay: 120, count: 5, failureLimit: 1 });
    const run = new AnalysisRunState(parsed.metrics, 0);
    expect(run.nextMeasurementTime(0)).toBe(120);
  });

  it('reports problems at the field they concern', () => {
    const result = zAnalysisTemplate.safeParse({
      metrics: [
        { name: 'a', query: 'x +', count: 3 },
        { name: 'b', query: 'x', interval: 'soon' },
        { name: 'c', query: 'x', typo: 1 },
      ],
    });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('metrics.1.interval');
    expect(paths).toContain('metrics.2');
    const refined = zAnalysisTemplate.safeParse({ metrics: [{ name: 'a', query: 'x +', count: 3 }] });
    const issues = refined.error!.issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues).toContainEqual(['metrics.0.interval', 'must be set when count (3) is more than 1']);
    expect(issues.find(([p]) => p === 'metrics.0.query')?.[1]).toMatch(/cannot parse/);
  });
});
