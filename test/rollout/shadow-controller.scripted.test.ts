/**
 * The shadow → blue-green controller (this project's own strategy, see the ShadowBlueGreenController doc and
 * strategy-schema zShadowBlueGreen): green at full size, a share of live traffic mirrored to it for
 * shadowDuration while analysis reads the mirrored copies, cut-over, a soak with blue kept for instant rollback,
 * then blue scaled down. Driven through the scripted host.
 */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { zRollout, zShadowBlueGreen } from '../../sim/rollout/strategy-schema.js';
import { ScriptedHost, type TraceEntry } from './scripted-host.js';
import { scriptedRollout } from './scripted-rollout.js';

const entries = (...rows: [number, string][]): TraceEntry[] => rows.map(([t, call]) => ({ t, call }));

const shadow = (
  host: ScriptedHost,
  extra: Partial<z.input<typeof zShadowBlueGreen>> = {},
  templates: z.input<typeof zRollout>['analysisTemplates'] = {},
) => {
  const old = host.fleet('old', 4);
  return scriptedRollout(host, old, {
    strategy: { shadowBlueGreen: { mirrorPercent: 50, shadowDuration: 600, soakSeconds: 1800, ...extra } },
    analysisTemplates: templates,
  });
};

describe('shadow → blue-green', () => {
  it('green up, mirror 50 % for 600 s once all green pods are available, cut over, soak 1800 s, blue to 0', () => {
    const host = new ScriptedHost();
    const controller = shadow(host);
    host.advance(5000);
    // Green available at 10 ⇒ mirroring 10..610 ⇒ cut-over at 610 ⇒ soak until 610 + 1800 = 2410.
    expect(host.trace).toEqual(
      entries(
        [0, 'create new'],
        [0, 'phase green up'],
        [0, 'log RolloutStarted'],
        [0, 'scale new 4'],
        [10, 'mirror new 50%'],
        [10, 'log Mirroring'],
        [10, 'phase shadow'],
        [610, 'mirror off'],
        [610, 'split new=100'],
        [610, 'log SwitchActive'],
        [610, 'phase soak'],
        [2410, 'scale old 0'],
        [2410, 'log RolloutComplete'],
      ),
    );
    expect(controller.state).toMatchObject({ finishedAt: 2410, outcome: 'completed' });
  });

  it('mirroring waits for the last green pod', () => {
    const host = new ScriptedHost({ readyAfter: { new: null } });
    shadow(host);
    host.at(10, () => host.ready('new', 3));
    host.at(40, () => host.ready('new'));
    host.advance(1000);
    expect(host.gatewayChanges()).toEqual(entries([40, 'mirror new 50%'], [640, 'mirror off'], [640, 'split new=100']));
  });

  it('analysis of the mirrored copies failing during the shadow stage: mirror off, traffic stays on blue, green to 0 after 30 s', () => {
    const host = new ScriptedHost();
    host.setTelemetry('shadow', { completed: 99, dropped: 1 });
    host.at(50, () => host.setTelemetry('shadow', { completed: 80, dropped: 20 }));
    const controller = shadow(host, { analysis: { templates: ['shadow-errors'] } }, {
      'shadow-errors': {
        metrics: [{ name: 'errors', query: 'shadow.errorRate', successCondition: 'result < 0.05', interval: 60 }],
      },
    });
    host.advance(1000);
    // The run starts with the shadow stage (10): measures at 10 (1 %) and 70 (20 %) ⇒ Failed at 70 ⇒ abort.
    expect(host.trace.filter((e) => e.t >= 70)).toEqual(
      entries(
        [70, 'log AnalysisMeasurement'],
        [70, 'log AnalysisRun'],
        [70, 'mirror off'],
        [70, 'split old=100'],
        [70, 'log RolloutAborted'],
        [70, 'phase abort'],
        [70, 'log ScaleDownDelay'],
        [100, 'scale new 0'],
        [100, 'log RolloutRolledBack'],
      ),
    );
    expect(controller.state).toMatchObject({ finishedAt: 100, outcome: 'rolled-back', reason: 'analysis Failed during shadow' });
  });

  it('soakAnalysis reads green\'s live traffic after the cut-over; failing, it switches back to blue at once', () => {
    const host = new ScriptedHost();
    host.setTelemetry('new', { completed: 99, dropped: 1 });
    host.at(1200, () => host.setTelemetry('new', { completed: 80, dropped: 20 }));
    const controller = shadow(host, { soakAnalysis: { templates: ['live-errors'] } }, {
      'live-errors': {
        metrics: [{ name: 'errors', query: 'new.errorRate', successCondition: 'result < 0.05', interval: 300 }],
      },
    });
    host.advance(5000);
    // Cut-over at 610 starts the soak run: measures at 610 and 910 (1 %), 1210 (20 %) ⇒ Failed ⇒ abort: the
    // gateway goes back to blue at 1210; green to 0 at 1210 + 30 (blue was never scaled down).
    expect(host.gatewayChanges()).toEqual(
      entries([10, 'mirror new 50%'], [610, 'mirror off'], [610, 'split new=100'], [1210, 'split old=100']),
    );
    expect(host.logs.filter((l) => l.event === 'AnalysisMeasurement').map((l) => l.t)).toEqual([610, 910, 1210]);
    expect(host.calls('scale')).toEqual(entries([0, 'scale new 4'], [1240, 'scale new 0']));
    expect(controller.state).toMatchObject({ finishedAt: 1240, outcome: 'rolled-back', reason: 'analysis Failed during soak' });
  });

  it('a passing soakAnalysis ends with the soak: blue to 0 at the soak\'s end', () => {
    const host = new ScriptedHost();
    host.setTelemetry('new', { completed: 99, dropped: 1 });
    const controller = shadow(host, { soakAnalysis: { templates: ['live-errors'] } }, {
      'live-errors': {
        metrics: [{ name: 'errors', query: 'new.errorRate', successCondition: 'result < 0.05', interval: 300 }],
      },
    });
    host.advance(5000);
    // Measures every 300 s from 610 to the soak's end at 2410 (7 measurements), then the run is terminated.
    expect(host.logs.filter((l) => l.event === 'AnalysisMeasurement').map((l) => l.t)).toEqual([610, 910, 1210, 1510, 1810, 2110, 2410]);
    expect(host.calls('scale old')).toEqual(entries([2410, 'scale old 0']));
    expect(controller.state).toMatchObject({ finishedAt: 2410, outcome: 'completed' });
  });

  it('an abort while a blue pod is down: green is kept until blue is fully available again plus the delay', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    const controller = scriptedRollout(host, old, {
      strategy: { shadowBlueGreen: { shadowDuration: 600, soakSeconds: 1800, abortScaleDownDelaySeconds: 60 } },
    });
    host.at(990, () => host.crash(old, 1));
    host.at(1000, () => controller.abort('operator'));
    host.at(1100, () => host.ready(old));
    host.advance(5000);
    // As Argo's blue-green (rollout/replicaset.go reconcileNewReplicaSet): the deadline is set when blue is fully
    // available again (1100), not at the abort ⇒ green to 0 at 1160.
    expect(host.calls('log ScaleDownDelay', 'scale new')).toEqual(
      entries([0, 'scale new 4'], [1100, 'log ScaleDownDelay'], [1160, 'scale new 0']),
    );
    expect(controller.state).toMatchObject({ finishedAt: 1160, outcome: 'aborted' });
  });

  it('operator abort during the soak: instant switch back to blue, which still has all its pods', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    const controller = scriptedRollout(host, old, {
      strategy: { shadowBlueGreen: { shadowDuration: 600, soakSeconds: 1800, abortScaleDownDelaySeconds: 60 } },
    });
    host.at(1000, () => controller.abort('operator'));
    host.advance(5000);
    expect(host.gatewayChanges()).toEqual(
      entries([10, 'mirror new 100%'], [610, 'mirror off'], [610, 'split new=100'], [1000, 'split old=100']),
    );
    expect(host.calls('scale')).toEqual(entries([0, 'scale new 4'], [1060, 'scale new 0']));
    expect(controller.state).toMatchObject({ finishedAt: 1060, outcome: 'aborted' });
  });
});
