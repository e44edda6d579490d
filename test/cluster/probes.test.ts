import { describe, expect, it } from 'vitest';
import { probeTimeline } from '../../sim/cluster/estimate.js';
import { ProbeCounter, makeProbe, nextCrashLoop, nextProbeTime, probeOutcome } from '../../sim/cluster/probes.js';

describe('probe arithmetic', () => {
  it('probe k runs at start + initialDelay + k·period', () => {
    const spec = makeProbe('health', { initialDelaySeconds: 15, periodSeconds: 10 });
    expect(nextProbeTime(spec, 100, 0)).toBe(115);
    expect(nextProbeTime(spec, 100, 115)).toBe(115);
    expect(nextProbeTime(spec, 100, 115.01)).toBe(125);
    expect(nextProbeTime(spec, 100, 137)).toBe(145);
  });

  it('port passes once listening, health once servable, synthetic within the timeout', () => {
    const starting = { listening: true, servable: false, warm: false };
    const coldUp = { listening: true, servable: true, warm: false };
    const warmUp = { listening: true, servable: true, warm: true };
    expect(probeOutcome(makeProbe('port'), starting).success).toBe(true);
    expect(probeOutcome(makeProbe('health'), starting).success).toBe(false);
    expect(probeOutcome(makeProbe('health'), coldUp).success).toBe(true);
    // Cold first inference 1.1 s > timeout 1 s: fails, known at the timeout.
    expect(probeOutcome(makeProbe('synthetic-inference'), coldUp)).toEqual({ success: false, after: 1 });
    expect(probeOutcome(makeProbe('synthetic-inference'), warmUp)).toEqual({ success: true, after: 0.05 });
    expect(probeOutcome(makeProbe('synthetic-inference', { timeoutSeconds: 2 }), coldUp)).toEqual({ success: true, after: 1.1 });
  });

  it('counts consecutive results against the thresholds', () => {
    const c = new ProbeCounter(makeProbe('health', { successThreshold: 2, failureThreshold: 3 }));
    expect([c.record(false), c.record(false), c.record(true), c.record(false), c.record(false), c.record(false)]).toEqual([
      null,
      null,
      null,
      null,
      null,
      'failed',
    ]);
    expect([c.record(true), c.record(true), c.record(true)]).toEqual([null, 'passed', null]);
  });

  it('CrashLoopBackOff doubles from 10 s to a 300 s cap and resets after 10 min of running', () => {
    let deaths = 0;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const next = nextCrashLoop(deaths, 60);
      deaths = next.deaths;
      delays.push(next.delay);
    }
    expect(delays).toEqual([10, 20, 40, 80, 160, 300, 300, 300]);
    expect(nextCrashLoop(deaths, 600)).toEqual({ deaths: 1, delay: 10 });
  });
});

describe('probeTimeline (the estimate)', () => {
  const none = { readiness: null, liveness: null, startup: null };

  it('readiness lags servability by up to one period', () => {
    const r = probeTimeline({ ...none, readiness: makeProbe('health') }, { listen: 55, servable: 55, warmAtStart: true });
    expect(r).toEqual({ readyAt: 60, killedBy: null });
  });

  it('no readiness probe: Ready at container start; a port probe passes while the model loads', () => {
    expect(probeTimeline(none, { listen: 55, servable: 55, warmAtStart: true }).readyAt).toBe(0);
    expect(probeTimeline({ ...none, readiness: makeProbe('port') }, { listen: 0, servable: 300, warmAtStart: true }).readyAt).toBe(0);
  });

  it('a liveness probe with a short delay kills a slow loader', () => {
    const liveness = makeProbe('health', { initialDelaySeconds: 120 });
    const r = probeTimeline({ ...none, readiness: makeProbe('health'), liveness }, { listen: 600, servable: 600, warmAtStart: true });
    expect(r.killedBy).toBe('liveness');
    // A startup probe allowing 60 × 10 s (kserve#5063) gates liveness until the model serves; its last try is at 590 s.
    const startup = makeProbe('health', { failureThreshold: 60 });
    const ok = probeTimeline({ readiness: makeProbe('health'), liveness, startup }, { listen: 550, servable: 550, warmAtStart: true });
    expect(ok).toEqual({ readyAt: 550, killedBy: null });
    const late = probeTimeline({ readiness: makeProbe('health'), liveness, startup }, { listen: 600, servable: 600, warmAtStart: true });
    expect(late.killedBy).toBe('startup');
  });

  it('a synthetic probe on a cold engine fails once, warms it, passes a period later', () => {
    const r = probeTimeline({ ...none, readiness: makeProbe('synthetic-inference') }, { listen: 50, servable: 50, warmAtStart: false });
    expect(r.readyAt).toBeCloseTo(60.05, 9);
  });
});
