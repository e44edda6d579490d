import { describe, expect, it } from 'vitest';
import { intCount } from '../../sim/config/int-or-percent.js';
import { CoordinatedPdController, deploymentRoles, IndependentPdController, type PdWorkloads } from '../../sim/rollout/pd-controllers.js';
import { ScriptedHost } from './scripted-host.js';

/** 6 prefill and 2 decode pods, maxSurge 1 / maxUnavailable 0 for both roles; the prefill role's new ReplicaSet is created first. */
function world(host: ScriptedHost): PdWorkloads {
  const budgets = { maxSurge: intCount(1), maxUnavailable: intCount(0) };
  const prefill = host.fleet('old', 6);
  const decode = host.fleet('old', 2);
  return { prefill: { host, stable: prefill, replicas: 6, ...budgets }, decode: { host, stable: decode, replicas: 2, ...budgets } };
}

/** Writes to a ReplicaSet, as [time, '<its name> <replicas>']. The roles' ReplicaSets: prefill old/new, decode old#2/new#2. */
function scales(host: ScriptedHost): [number, string][] {
  return host.calls('scale').map((e) => [e.t, e.call.slice('scale '.length)]);
}

/**
 * Largest drift of either version's spec.replicas from the fleet's 3:1 ratio (ratioDrift, in prefill pods) after
 * each instant's writes.
 */
function maxSpecDrift(host: ScriptedHost): number {
  const spec = new Map<string, number>([['old', 6], ['old#2', 2]]);
  const writes = scales(host);
  let drift = 0;
  writes.forEach(([t, call], i) => {
    const [name, replicas] = call.split(' ');
    spec.set(name, Number(replicas));
    if (writes[i + 1]?.[0] === t) return;
    const off = (p: string, d: string): number => Math.abs((spec.get(p) ?? 0) - 3 * (spec.get(d) ?? 0));
    drift = Math.max(drift, off('old', 'old#2'), off('new', 'new#2'));
  });
  return drift;
}

describe('coordinated prefill/decode rollout', () => {
  it('steps both roles by the same share of their replicas, the next step when both are available', () => {
    const host = new ScriptedHost({ readyAfter: { new: 10 } });
    const controller = new CoordinatedPdController(host, world(host));
    host.drive(controller, 0);
    host.advance(200);
    expect(controller.steps).toBe(6);
    // Step i (from t = 10 (i − 1)): prefill new i, decode new ⌈i × 2 / 6⌉; the old ones give up what step i − 1 replaced.
    expect(scales(host)).toEqual([
      [0, 'new 1'], [0, 'new#2 1'],
      [10, 'new 2'], [10, 'old 5'], [10, 'old#2 1'],
      [20, 'new 3'], [20, 'old 4'],
      [30, 'new 4'], [30, 'old 3'], [30, 'new#2 2'],
      [40, 'new 5'], [40, 'old 2'], [40, 'old#2 0'],
      [50, 'new 6'], [50, 'old 1'],
      [60, 'old 0'],
    ]);
    expect(controller.state).toMatchObject({ outcome: 'completed', finishedAt: 60 });
    expect(maxSpecDrift(host)).toBe(2);
  });
});

describe('coordinated prefill/decode rollout, aborted', () => {
  it('scales both new ReplicaSets to 0 and the old ones back, and ends aborted once the old pods are available', () => {
    const host = new ScriptedHost({ readyAfter: { old: 10, new: 10 } });
    const controller = new CoordinatedPdController(host, world(host));
    host.drive(controller, 0);
    host.at(15, () => controller.abort('operator'));
    host.advance(100);
    expect(scales(host).filter(([t]) => t >= 15)).toEqual([
      [15, 'new 0'], [15, 'old 6'], [15, 'new#2 0'], [15, 'old#2 2'],
    ]);
    expect(controller.state).toMatchObject({ outcome: 'aborted', finishedAt: 25, reason: 'operator' });
  });
});

describe('independent prefill/decode rollout', () => {
  it('reports a stalled role as the rollout\'s outcome when the run ends', () => {
    const host = new ScriptedHost({ readyAfter: { new: null } });
    const controller = new IndependentPdController(host, 'rollingUpdate', deploymentRoles(world(host), 600));
    host.drive(controller, 0);
    host.advance(30);
    controller.finish();
    expect(controller.state.outcome).toBe('stalled');
    expect(controller.state.reason).toMatch(/^prefill: /);
  });

  it('rolls each role with its own RollingUpdate and finishes when both have', () => {
    const host = new ScriptedHost({ readyAfter: { new: 10 } });
    const controller = new IndependentPdController(host, 'rollingUpdate', deploymentRoles(world(host), 600));
    host.drive(controller, 0);
    host.advance(200);
    // The decode role is done at t=20, the prefill role at t=60: the old version keeps 4 prefill pods and no decode pod.
    expect(scales(host).filter(([, call]) => call.startsWith('old#2') || call.startsWith('new#2'))).toEqual([
      [0, 'new#2 1'], [10, 'old#2 1'], [10, 'new#2 2'], [20, 'old#2 0'],
    ]);
    expect(controller.state).toMatchObject({ outcome: 'completed', finishedAt: 60 });
    expect(maxSpecDrift(host)).toBe(4);
  });
});
