import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../sim/cluster/cluster.js';
import type { PodEvent } from '../../sim/cluster/event-log.js';
import { Simulator } from '../../sim/engine/simulator.js';
import { InternalError } from '../../sim/errors.js';
import type { Telemetry } from '../../sim/metrics/recorder.js';
import type { RolloutController, RolloutState } from '../../sim/rollout/controller.js';
import { RolloutDriver } from '../../sim/rollout/driver.js';
import type { RolloutHost } from '../../sim/rollout/host.js';
import { GatewayPropagation } from '../../sim/routing/propagation.js';
import type { Router } from '../../sim/routing/router.js';

/** A controller whose every move the test scripts: `sync` returns true while `pendingWrites` > 0. */
class ScriptedController implements RolloutController {
  readonly strategy = 'scripted';
  readonly state: RolloutState = { startedAt: null, finishedAt: null, outcome: 'none', reason: undefined };
  readonly calls: string[] = [];
  pendingWrites = 0;
  host!: RolloutHost;
  start(): void {
    this.state.startedAt = this.host.now();
    this.calls.push(`start@${this.host.now()}`);
  }
  sync(): boolean {
    this.calls.push(`sync@${this.host.now()}`);
    if (this.pendingWrites === 0) return false;
    this.pendingWrites--;
    return true;
  }
  finish(): void {
    this.calls.push(`finish@${this.host.now()}`);
  }
  promote(): void {
    this.calls.push(`promote@${this.host.now()}`);
  }
  abort(reason: string): void {
    this.calls.push(`abort@${this.host.now()}:${reason}`);
  }
}

function world(sim: Simulator, ready: { value: number }, delay = 0) {
  const events: PodEvent[] = [];
  const splits: string[] = [];
  const cluster = { stats: () => ({ readyOld: ready.value, readyNew: 0, gpusHeld: 8 * ready.value }) } as unknown as Cluster;
  const router = { setSplit: (s: unknown) => splits.push(`${sim.now}:${JSON.stringify(s)}`), setMirror: () => {} } as unknown as Router;
  const driver = new RolloutDriver(sim, {
    cluster,
    router,
    gateway: new GatewayPropagation(sim, delay),
    previewTraffic: null,
    createReplicaSet: () => {
      throw new Error('not used');
    },
    telemetry: () => ({}) as Telemetry,
    log: (e) => events.push(e),
  });
  return { driver, events, splits };
}

describe('RolloutDriver', () => {
  it('starts the controller at its time and syncs it to a fixpoint after every other event of the instant', () => {
    const sim = new Simulator();
    const ready = { value: 4 };
    const { driver } = world(sim, ready);
    const controller = new ScriptedController();
    controller.host = driver.host();
    driver.schedule(controller, { at: 10, promoteAt: [], abortAt: undefined });
    // A status change before the start is not the controller's business.
    sim.at(5, sim.handler(() => driver.requestSync()));
    // Three changes at one instant ask for one sync; the controller then writes twice and settles (3 passes).
    sim.at(20, sim.handler(() => {
      controller.pendingWrites = 2;
      driver.requestSync();
      driver.requestSync();
      driver.requestSync();
    }));
    sim.run(30);
    expect(controller.calls).toEqual(['start@10', 'sync@10', 'sync@20', 'sync@20', 'sync@20']);
    expect(driver.gpusAtStart).toBe(32);
  });

  it('wakes the controller once per requested time, and applies the operator promotes and abort in time order', () => {
    const sim = new Simulator();
    const { driver } = world(sim, { value: 2 });
    const controller = new ScriptedController();
    const host = driver.host();
    controller.host = host;
    driver.schedule(controller, { at: 0, promoteAt: [40, 50], abortAt: 60 });
    sim.at(1, sim.handler(() => {
      host.wakeAt(30);
      host.wakeAt(30);
    }));
    sim.run(100);
    expect(controller.calls).toEqual([
      'start@0',
      'sync@0',
      'sync@30',
      'promote@40',
      'promote@50',
      'abort@60:aborted by the operator (spec.rollout.abortAt)',
    ]);
  });

  it('tracks the fewest ready replicas only while the rollout runs', () => {
    const sim = new Simulator();
    const ready = { value: 6 };
    const { driver } = world(sim, ready);
    const controller = new ScriptedController();
    controller.host = driver.host();
    driver.schedule(controller, { at: 10, promoteAt: [], abortAt: undefined });
    sim.at(5, sim.handler(() => (ready.value = 1))); // before the start: not counted
    sim.at(9, sim.handler(() => (ready.value = 5)));
    sim.at(20, sim.handler(() => {
      ready.value = 3;
      driver.requestSync();
    }));
    sim.at(30, sim.handler(() => {
      ready.value = 2;
      controller.state.finishedAt = 30;
      driver.requestSync();
    }));
    sim.run(40);
    expect(driver.minReadyReplicas).toBe(3);
  });

  it('stops with an internal error when a controller never settles', () => {
    const sim = new Simulator();
    const { driver } = world(sim, { value: 1 });
    const controller = new ScriptedController();
    controller.host = driver.host();
    controller.pendingWrites = Number.POSITIVE_INFINITY;
    driver.schedule(controller, { at: 0, promoteAt: [], abortAt: undefined });
    expect(() => sim.run(1)).toThrow(InternalError);
  });

  it('closes open phases at the end of the run and logs rollout events without a pod', () => {
    const sim = new Simulator();
    const { driver, events } = world(sim, { value: 1 });
    const host = driver.host();
    sim.at(3, sim.handler(() => {
      const end = host.beginPhase('surge');
      host.beginPhase('soak');
      host.log('RolloutPaused', 'step 1');
      sim.at(7, sim.handler(end));
    }));
    sim.run(20);
    driver.finish(20);
    expect(driver.phases).toEqual([
      { name: 'surge', start: 3, end: 7 },
      { name: 'soak', start: 3, end: 20 },
    ]);
    expect(events).toEqual([{ t: 3, pod: '', version: 'new', node: '', event: 'RolloutPaused', reason: 'step 1' }]);
  });

  it('routes split changes through the gateway delay', () => {
    const sim = new Simulator();
    const { driver, splits } = world(sim, { value: 1 }, 2.5);
    const host = driver.host();
    sim.at(1, sim.handler(() => host.setSplit({ kind: 'active', version: 'new' } as never)));
    sim.run(10);
    expect(host.gatewayDelay).toBe(2.5);
    expect(splits).toEqual(['3.5:{"kind":"active","version":"new"}']);
  });
});

describe('GatewayPropagation', () => {
  it('applies changes at once without a delay', () => {
    const sim = new Simulator();
    const gateway = new GatewayPropagation(sim, 0);
    const seen: number[] = [];
    gateway.apply(() => seen.push(sim.now));
    expect(seen).toEqual([0]);
  });

  it('lands changes after the delay in the order they were made, even when made at one instant', () => {
    const sim = new Simulator();
    const gateway = new GatewayPropagation(sim, 2);
    const seen: string[] = [];
    sim.at(1, sim.handler(() => {
      gateway.apply(() => seen.push(`a@${sim.now}`));
      gateway.apply(() => seen.push(`b@${sim.now}`));
    }));
    sim.at(2, sim.handler(() => gateway.apply(() => seen.push(`c@${sim.now}`))));
    sim.run(10);
    expect(seen).toEqual(['a@3', 'b@3', 'c@4']);
  });
});
