/**
 * A cut-over written as gateway steps at times (gatewayCutover): green up at rollout.at, each step written at its
 * time whatever the pods' state, blue down at scaleDownOldAt, an abort back to blue.
 */
import { describe, expect, it } from 'vitest';
import { ScriptedHost, type TraceEntry } from './scripted-host.js';
import { scriptedRollout } from './scripted-rollout.js';

const entries = (...rows: [number, string][]): TraceEntry[] => rows.map(([t, call]) => ({ t, call }));

const STEPS = [
  { at: 60, weights: { old: 100, new: 0 }, mirror: 50 },
  { at: 300, weights: { old: 0, new: 100 } },
];

describe('gateway cut-over', () => {
  it('green up, mirror at +60 s, flip at +300 s, blue down at +900 s', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 3);
    const controller = scriptedRollout(host, old, { strategy: { gatewayCutover: { steps: STEPS, scaleDownOldAt: 900 } } }, 100);
    host.advance(2000);
    expect(host.calls('scale', 'split', 'mirror', 'log GreenNotReady')).toEqual(
      entries(
        [100, 'scale new 3'],
        [160, 'mirror new 50%'],
        [160, 'split old=100 new=0'],
        [400, 'mirror off'],
        [400, 'split old=0 new=100'],
        [1000, 'scale old 0'],
      ),
    );
    expect(host.phases.map((p) => p.name)).toEqual(['green up', 'shadow', 'soak']);
    expect(controller.state).toMatchObject({ finishedAt: 1000, outcome: 'completed' });
  });

  it('a step that sends traffic to a green not yet available is applied anyway and logged', () => {
    const host = new ScriptedHost({ readyAfter: { new: null } });
    const old = host.fleet('old', 2);
    scriptedRollout(host, old, { strategy: { gatewayCutover: { steps: [{ at: 30, weights: { old: 50, new: 50 } }] } } });
    host.advance(100);
    expect(host.calls('split', 'log GreenNotReady')).toEqual(entries([30, 'split old=50 new=50'], [30, 'log GreenNotReady']));
  });

  it('an abort routes everything to blue, stops the mirror and scales green to zero', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 2);
    const controller = scriptedRollout(host, old, { strategy: { gatewayCutover: { steps: STEPS } } });
    host.at(100, () => controller.abort('operator'));
    host.advance(1000);
    expect(host.calls('scale', 'split', 'mirror').filter((e) => e.t === 100)).toEqual(entries([100, 'mirror off'], [100, 'split old=100'], [100, 'scale new 0']));
    expect(controller.state).toMatchObject({ finishedAt: 100, outcome: 'aborted' });
  });
});
