import type { Simulator } from '../engine/simulator.js';
import { InternalError } from '../errors.js';
import type { Pod } from './pod.js';
import { ProbeCounter, nextProbeTime, probeOutcome, type ProbeSpec } from './probes.js';

export type ProbeName = 'startup' | 'liveness' | 'readiness';
const NAMES: readonly ProbeName[] = ['startup', 'liveness', 'readiness'];
const STARTUP = 0;
const LIVENESS = 1;
const READINESS = 2;
const NO_EVENT = -1;

export interface ProberListener {
  /** Readiness passed (or the pod has no readiness probe and its container started). */
  becameReady(pod: Pod): void;
  /** A startup or liveness probe reached failureThreshold: the kubelet kills the container. */
  probeFailed(pod: Pod, probe: 'startup' | 'liveness', detail: string): void;
}

/** The probes of one container run. */
class ProbeRun {
  /** Time probe k counts its schedule from: container start, or the startup probe's success. */
  readonly start = [NaN, NaN, NaN];
  readonly counters: Array<ProbeCounter | null>;
  readonly events = [NO_EVENT, NO_EVENT, NO_EVENT];
  readonly lastTick = [NaN, NaN, NaN];
  /** Outcome of a probe whose result arrives later (a synthetic inference). */
  readonly pending = [false, false, false];

  constructor(
    readonly pod: Pod,
    readonly specs: ReadonlyArray<ProbeSpec | null>,
  ) {
    this.counters = specs.map((s) => (s === null ? null : new ProbeCounter(s)));
  }
}

/**
 * The kubelet's prober: per container run, probe k fires at start + initialDelay + k·period (probes.ts); the
 * startup probe gates liveness and readiness. In this model a probe that has passed keeps passing until the
 * container dies or the pod terminates (the engine does not hang), so a passed probe stops firing: a Ready
 * fleet costs no probe events.
 */
export class Prober {
  private readonly runs = new Map<number, ProbeRun>();
  private readonly onTick: number;
  private readonly onResult: number;

  constructor(
    private readonly sim: Simulator,
    private readonly listener: ProberListener,
  ) {
    this.onTick = sim.handler((arg) => this.tick(arg));
    this.onResult = sim.handler((arg) => this.result(arg));
  }

  containerStarted(pod: Pod): void {
    this.stop(pod);
    const p = pod.template.probes;
    const run = new ProbeRun(pod, [p.startup, p.liveness, p.readiness]);
    this.runs.set(pod.podId, run);
    if (p.startup !== null) this.arm(run, STARTUP, this.sim.now);
    else this.started(run);
  }

  /** Stops every probe of the pod (container died, pod terminating). */
  stop(pod: Pod): void {
    const run = this.runs.get(pod.podId);
    if (run === undefined) return;
    for (const id of run.events) if (id !== NO_EVENT) this.sim.cancel(id);
    this.runs.delete(pod.podId);
  }

  /** The startup probe passed (or there is none): liveness and readiness begin. */
  private started(run: ProbeRun): void {
    const now = this.sim.now;
    if (run.specs[LIVENESS] !== null) this.arm(run, LIVENESS, now);
    if (run.specs[READINESS] !== null) this.arm(run, READINESS, now);
    // A missing readiness probe counts as success.
    else this.listener.becameReady(run.pod);
  }

  private arm(run: ProbeRun, k: number, start: number): void {
    run.start[k] = start;
    this.scheduleTick(run, k, nextProbeTime(run.specs[k] as ProbeSpec, start, this.sim.now));
  }

  /**
   * Late lane: a probe at t sees everything else that happens at t, so a server that becomes servable exactly at
   * a probe time passes it (Ready at the first t_k ≥ servable, rollout-semantics.md §2.1).
   */
  private scheduleTick(run: ProbeRun, k: number, at: number): void {
    run.events[k] = this.sim.atLate(at, this.onTick, run.pod.podId * 3 + k);
  }

  private tick(arg: number): void {
    const { run, k } = this.locate(arg);
    run.lastTick[k] = this.sim.now;
    const outcome = probeOutcome(run.specs[k] as ProbeSpec, run.pod);
    if (outcome.after === 0) {
      run.events[k] = NO_EVENT;
      this.apply(run, k, outcome.success);
      return;
    }
    run.pending[k] = outcome.success;
    run.events[k] = this.sim.after(outcome.after, this.onResult, arg);
  }

  private result(arg: number): void {
    const { run, k } = this.locate(arg);
    run.events[k] = NO_EVENT;
    // The inference ran (in time or not): the kernels it used are warm now.
    run.pod.warm = true;
    this.apply(run, k, run.pending[k]);
  }

  private apply(run: ProbeRun, k: number, success: boolean): void {
    const spec = run.specs[k] as ProbeSpec;
    const verdict = (run.counters[k] as ProbeCounter).record(success);
    const pod = run.pod;
    if (verdict === 'passed') {
      if (k === STARTUP) this.started(run);
      else if (k === READINESS) this.listener.becameReady(pod);
      return;
    }
    if (verdict === 'failed' && k !== READINESS) {
      const name = NAMES[k] as 'startup' | 'liveness';
      this.listener.probeFailed(pod, name, `${spec.kind} probe failed ${spec.failureThreshold} times in a row`);
      return;
    }
    const next = Math.max(this.sim.now, run.lastTick[k] + spec.periodSeconds);
    this.scheduleTick(run, k, nextProbeTime(spec, run.start[k], next));
  }

  private locate(arg: number): { run: ProbeRun; k: number } {
    const run = this.runs.get(Math.floor(arg / 3));
    if (run === undefined) throw new InternalError(`probe event for pod ${Math.floor(arg / 3)} without probes`);
    return { run, k: arg % 3 };
  }
}
