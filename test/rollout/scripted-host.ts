/**
 * Test-only RolloutHost: a scripted world for driving the rollout controllers directly, without the cluster,
 * the serving fleet or traffic. ReplicaSets are plain records; their pods move through states the test scripts
 * (or that follow fixed delays): starting → ready → available (after minReadySeconds), ready → crash-looping
 * (not ready), and terminating → gone on scale-down. Every write a controller makes (ReplicaSets, gateway
 * splits, mirrors, phases, log events) lands in `trace` with its time, so a test can compare the exact sequence
 * with one derived by hand from rollout-semantics.md.
 *
 * Driving mirrors sim/run/run-scenario.ts: everything that happens at one instant (pod transitions, scripted
 * actions such as promote/abort) applies first; then, if a ReplicaSet status changed or the controller asked to be
 * woken at that instant, `sync()` is called until it returns false (the run's syncHandler loop, scheduled with
 * atLate). A ReplicaSet write during those syncs is itself a status change, so the run schedules one more sync
 * pass afterwards; so does this host. Nothing here has a wall clock or randomness.
 */
import { ReplicaSet, type ReplicaSetStatus } from '../../sim/cluster/replicaset.js';
import type { PodTemplate } from '../../sim/cluster/template.js';
import { InternalError } from '../../sim/errors.js';
import type { Telemetry } from '../../sim/metrics/recorder.js';
import type { QuantileView } from '../../sim/metrics/sketch.js';
import type { RolloutController } from '../../sim/rollout/controller.js';
import type { RolloutHost } from '../../sim/rollout/host.js';
import type { MirrorSpec } from '../../sim/routing/router.js';
import type { Split } from '../../sim/routing/split.js';
import type { VersionRole } from '../../sim/traffic/request.js';

export interface ScriptedHostOptions {
  /** Seconds from a pod's creation to Ready, per version; null: only when the test calls `ready` (default 10). */
  readonly readyAfter?: Partial<Record<VersionRole, number | null>>;
  /** A Ready pod counts as available this long after it became Ready (spec.minReadySeconds, default 0). */
  readonly minReadySeconds?: number;
  /** Seconds a deleted pod stays terminating; null: until the test calls `finishTermination` (default 0). */
  readonly terminationSeconds?: number | null;
}

/** One write of the controller, e.g. `{ t: 10, call: 'scale old 9' }`. */
export interface TraceEntry {
  readonly t: number;
  readonly call: string;
}

export interface PhaseRecord {
  readonly name: string;
  readonly start: number;
  end: number | null;
}

/** Telemetry the test scripts for one source: counts, and one latency (seconds) for every quantile. */
export interface ScriptedTelemetry {
  readonly completed?: number;
  readonly dropped?: number;
  readonly rejected?: number;
  readonly timedOut?: number;
  readonly ttft?: number;
  readonly tpot?: number;
  readonly e2e?: number;
}

type PodState = 'starting' | 'ready' | 'crashing' | 'terminating' | 'gone';

interface ScriptedPod {
  readonly id: number;
  state: PodState;
  readySince: number | null;
}

interface ScheduledAction {
  readonly t: number;
  readonly seq: number;
  readonly run: () => void;
}

const MAX_PASSES_PER_INSTANT = 1000;

/** Controllers never read a ReplicaSet's template; the record only needs an id and a name. */
const NO_TEMPLATE = {} as PodTemplate;

export class ScriptedHost implements RolloutHost {
  readonly trace: TraceEntry[] = [];
  readonly phases: PhaseRecord[] = [];
  readonly logs: { readonly t: number; readonly event: string; readonly reason: string }[] = [];
  /** Gateway writes take effect at once here; the trace shows when the controller made them. */
  readonly gatewayDelay = 0;

  private clock = 0;
  private nextRsId = 1;
  private nextPodId = 1;
  private nextSeq = 0;
  private readonly pods = new Map<ReplicaSet, ScriptedPod[]>();
  private readonly versions = new Map<ReplicaSet, VersionRole>();
  private readonly names = new Map<ReplicaSet, string>();
  private readonly actions: ScheduledAction[] = [];
  private readonly wakeTimes = new Set<number>();
  private readonly telemetryBySource = new Map<VersionRole | 'all' | 'shadow', ScriptedTelemetry>();
  private statusChanged = false;
  private controller: RolloutController | null = null;
  private readonly readyAfter: Record<VersionRole, number | null>;
  private readonly minReadySeconds: number;
  private readonly terminationSeconds: number | null;

  constructor(options: ScriptedHostOptions = {}) {
    this.readyAfter = { old: 10, new: 10, ...options.readyAfter };
    this.minReadySeconds = options.minReadySeconds ?? 0;
    this.terminationSeconds = options.terminationSeconds === undefined ? 0 : options.terminationSeconds;
  }

  // ---- the world before the rollout -------------------------------------------------------------------------

  /** A ReplicaSet of `replicas` pods that have been Ready and available since long before t=0. */
  fleet(version: VersionRole, replicas: number): ReplicaSet {
    const rs = this.newReplicaSet(version);
    rs.spec = replicas;
    for (let i = 0; i < replicas; i++) {
      this.podList(rs).push({ id: this.nextPodId++, state: 'ready', readySince: -Infinity });
    }
    return rs;
  }

  /** The controller under test: `start()` runs at `startAt`, followed by a sync (as at rollout.at in a run). */
  drive(controller: RolloutController, startAt = 0): void {
    this.controller = controller;
    this.at(startAt, () => {
      controller.start();
      this.statusChanged = true;
    });
  }

  // ---- scripting ----------------------------------------------------------------------------------------------

  /** Runs `action` at time t, with the other events of that instant and before the controller syncs. */
  at(t: number, action: () => void): void {
    if (t < this.clock) throw new InternalError(`scripted action at ${t}, before now (${this.clock})`);
    this.actions.push({ t, seq: this.nextSeq++, run: action });
  }

  /** A ReplicaSet by its trace name ('old', 'new', 'new#2'…); scripted actions look up ones the controller creates. */
  replicaSet(name: string): ReplicaSet {
    for (const [rs, n] of this.names) if (n === name) return rs;
    throw new InternalError(`no ReplicaSet named ${name} (yet)`);
  }

  /** `count` (default all) not-ready active pods of rs become Ready now, oldest first. */
  ready(rsOrName: ReplicaSet | string, count = Infinity): void {
    const rs = this.resolve(rsOrName);
    let left = count;
    for (const pod of this.podList(rs)) {
      if (left <= 0) break;
      if (pod.state !== 'starting' && pod.state !== 'crashing') continue;
      this.becomeReady(pod);
      left--;
    }
    if (left > 0 && count !== Infinity) throw new InternalError(`${this.nameOf(rs)} has fewer than ${count} pods that are not ready`);
  }

  /** `count` (default all) Ready pods of rs start crash-looping now (not Ready until `ready` is called), oldest first. */
  crash(rsOrName: ReplicaSet | string, count = Infinity): void {
    const rs = this.resolve(rsOrName);
    let left = count;
    for (const pod of this.podList(rs)) {
      if (left <= 0) break;
      if (pod.state !== 'ready') continue;
      pod.state = 'crashing';
      pod.readySince = null;
      left--;
    }
    if (left > 0 && count !== Infinity) throw new InternalError(`${this.nameOf(rs)} has fewer than ${count} ready pods`);
    this.statusChanged = true;
  }

  /** `count` (default all) terminating pods of rs are gone now, oldest first. */
  finishTermination(rsOrName: ReplicaSet | string, count = Infinity): void {
    const rs = this.resolve(rsOrName);
    let left = count;
    for (const pod of this.podList(rs)) {
      if (left <= 0) break;
      if (pod.state !== 'terminating') continue;
      this.podGone(pod);
      left--;
    }
  }

  /** From now on, analyses reading `source` see these values (any window). */
  setTelemetry(source: VersionRole | 'all' | 'shadow', values: ScriptedTelemetry): void {
    this.telemetryBySource.set(source, values);
  }

  // ---- driving ------------------------------------------------------------------------------------------------

  /** Runs every instant with something due up to and including `until`, then sets the clock to `until`. */
  advance(until: number): void {
    for (;;) {
      const t = this.nextInstant();
      if (t === null || t > until) break;
      this.clock = t;
      this.runInstant();
    }
    if (until > this.clock) this.clock = until;
  }

  /** Trace entries whose call starts with one of the prefixes (e.g. 'scale', 'split'). */
  calls(...prefixes: string[]): TraceEntry[] {
    return this.trace.filter((e) => prefixes.some((p) => e.call === p || e.call.startsWith(`${p} `)));
  }

  /**
   * The split and mirror writes that changed what the gateway does: a write equal to the one in force (the
   * controllers re-assert some states on every sync) is left out.
   */
  gatewayChanges(): TraceEntry[] {
    const current = new Map<string, string>();
    return this.calls('split', 'mirror').filter((e) => {
      const kind = e.call.split(' ')[0];
      if (current.get(kind) === e.call) return false;
      current.set(kind, e.call);
      return true;
    });
  }

  /** Pod counts of rs now, for assertions. */
  podCounts(rsOrName: ReplicaSet | string): { spec: number; ready: number; available: number; notReady: number; terminating: number } {
    const rs = this.resolve(rsOrName);
    const s = this.status(rs);
    return {
      spec: rs.spec,
      ready: s.readyReplicas,
      available: s.availableReplicas,
      notReady: s.replicas - s.readyReplicas,
      terminating: s.terminatingReplicas,
    };
  }

  // ---- RolloutHost --------------------------------------------------------------------------------------------

  now(): number {
    return this.clock;
  }

  createReplicaSet(version: VersionRole): ReplicaSet {
    const rs = this.newReplicaSet(version);
    this.record(`create ${this.nameOf(rs)}`);
    return rs;
  }

  setReplicas(rs: ReplicaSet, replicas: number): void {
    if (!Number.isInteger(replicas) || replicas < 0) throw new InternalError(`setReplicas(${this.nameOf(rs)}, ${replicas})`);
    this.record(`scale ${this.nameOf(rs)} ${replicas}`);
    rs.spec = replicas;
    const active = this.podList(rs).filter(isActive);
    for (let i = active.length; i < replicas; i++) this.createPod(rs);
    for (const pod of this.deletionOrder(active).slice(0, Math.max(0, active.length - replicas))) this.removePod(pod);
    this.statusChanged = true;
  }

  /** Scripted pods are not cluster pods: the LWS controller, which picks pods by ordinal, runs on the real cluster. */
  deletePod(): void {
    throw new InternalError('the scripted host has no cluster pods to delete by name');
  }

  status(rs: ReplicaSet): ReplicaSetStatus {
    let replicas = 0;
    let ready = 0;
    let available = 0;
    let existing = 0;
    for (const pod of this.podList(rs)) {
      if (pod.state === 'gone') continue;
      existing++;
      if (!isActive(pod)) continue;
      replicas++;
      if (pod.readySince === null) continue;
      ready++;
      if (pod.readySince + this.minReadySeconds <= this.clock) available++;
    }
    return { replicas, readyReplicas: ready, availableReplicas: available, terminatingReplicas: existing - replicas, existing };
  }

  setSplit(split: Split): void {
    this.record(split === 'pods' ? 'split pods' : `split ${split.map((w) => `${w.version}=${w.weight}`).join(' ')}`);
  }

  setRewriteWeight(weight: number): void {
    this.record(`rewrite ${weight}`);
  }

  setMirror(mirror: MirrorSpec | null): void {
    this.record(mirror === null ? 'mirror off' : `mirror ${mirror.version} ${mirror.share * 100}%`);
  }

  setPreviewTraffic(on: boolean): void {
    this.record(`preview traffic ${on ? 'on' : 'off'}`);
  }

  telemetry(source: VersionRole | 'all' | 'shadow'): Telemetry {
    return telemetryOf(this.telemetryBySource.get(source) ?? {});
  }

  wakeAt(t: number): void {
    if (t < this.clock) throw new InternalError(`wakeAt(${t}) in the past (now ${this.clock})`);
    this.wakeTimes.add(t);
  }

  beginPhase(name: string): () => void {
    this.record(`phase ${name}`);
    const phase: PhaseRecord = { name, start: this.clock, end: null };
    this.phases.push(phase);
    return () => {
      if (phase.end === null) phase.end = this.clock;
    };
  }

  log(event: string, reason: string): void {
    this.record(`log ${event}`);
    this.logs.push({ t: this.clock, event, reason });
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  private record(call: string): void {
    this.trace.push({ t: this.clock, call });
  }

  private newReplicaSet(version: VersionRole): ReplicaSet {
    const rs = new ReplicaSet(this.nextRsId++, version, NO_TEMPLATE);
    const sameVersion = [...this.versions.values()].filter((v) => v === version).length;
    this.versions.set(rs, version);
    this.names.set(rs, sameVersion === 0 ? version : `${version}#${sameVersion + 1}`);
    this.pods.set(rs, []);
    return rs;
  }

  private resolve(rsOrName: ReplicaSet | string): ReplicaSet {
    return typeof rsOrName === 'string' ? this.replicaSet(rsOrName) : rsOrName;
  }

  private nameOf(rs: ReplicaSet): string {
    const name = this.names.get(rs);
    if (name === undefined) throw new InternalError(`ReplicaSet ${rs.id} does not belong to this host`);
    return name;
  }

  private podList(rs: ReplicaSet): ScriptedPod[] {
    const pods = this.pods.get(rs);
    if (pods === undefined) throw new InternalError(`ReplicaSet ${rs.id} does not belong to this host`);
    return pods;
  }

  private createPod(rs: ReplicaSet): void {
    const pod: ScriptedPod = { id: this.nextPodId++, state: 'starting', readySince: null };
    this.podList(rs).push(pod);
    const delay = this.readyAfter[this.versions.get(rs) ?? 'new'];
    if (delay === null) return;
    this.at(this.clock + delay, () => {
      if (pod.state === 'starting') this.becomeReady(pod);
    });
  }

  private becomeReady(pod: ScriptedPod): void {
    pod.state = 'ready';
    pod.readySince = this.clock;
    this.statusChanged = true;
    // The ReplicaSet controller re-queues the RS after minReadySeconds: availability changes then.
    if (this.minReadySeconds > 0) this.at(this.clock + this.minReadySeconds, () => (this.statusChanged = true));
  }

  /**
   * ActivePodsWithRanks, reduced to what these pods have (rollout-semantics.md §1.4): not-ready before ready,
   * then ready for a shorter time first, then newer first.
   */
  private deletionOrder(active: readonly ScriptedPod[]): ScriptedPod[] {
    const rank = (p: ScriptedPod) => (p.readySince === null ? Infinity : p.readySince);
    return [...active].sort((a, b) => {
      const aReady = a.readySince !== null;
      const bReady = b.readySince !== null;
      if (aReady !== bReady) return aReady ? 1 : -1;
      return rank(b) - rank(a) || b.id - a.id;
    });
  }

  private removePod(pod: ScriptedPod): void {
    pod.state = 'terminating';
    pod.readySince = null;
    if (this.terminationSeconds === 0) {
      this.podGone(pod);
    } else if (this.terminationSeconds !== null) {
      this.at(this.clock + this.terminationSeconds, () => this.podGone(pod));
    }
  }

  private podGone(pod: ScriptedPod): void {
    pod.state = 'gone';
    this.statusChanged = true;
  }

  private nextInstant(): number | null {
    // A change scripted between two advance() calls applies at the current time.
    let next = this.statusChanged ? this.clock : Infinity;
    for (const a of this.actions) next = Math.min(next, a.t);
    for (const t of this.wakeTimes) next = Math.min(next, t);
    return next === Infinity ? null : next;
  }

  /** All actions due now, then controller syncs to a fixpoint; repeated while either produces more work now. */
  private runInstant(): void {
    for (let pass = 0; ; pass++) {
      if (pass > MAX_PASSES_PER_INSTANT) throw new InternalError(`no fixpoint at t=${this.clock}`);
      const due = this.actions.filter((a) => a.t <= this.clock).sort((a, b) => a.t - b.t || a.seq - b.seq);
      if (due.length > 0) {
        for (const a of due) this.actions.splice(this.actions.indexOf(a), 1);
        for (const a of due) a.run();
        continue;
      }
      const woken = this.wakeTimes.delete(this.clock);
      if (!this.statusChanged && !woken) return;
      this.statusChanged = false;
      if (!this.controller) continue;
      let syncs = 0;
      while (this.controller.sync()) {
        if (++syncs > MAX_PASSES_PER_INSTANT) throw new InternalError(`controller did not settle at t=${this.clock}`);
      }
    }
  }
}

function isActive(pod: ScriptedPod): boolean {
  return pod.state === 'starting' || pod.state === 'ready' || pod.state === 'crashing';
}

function constantView(count: number, seconds: number | undefined): QuantileView {
  const value = seconds ?? null;
  return {
    count: value === null ? 0 : count,
    sum: value === null ? 0 : value * count,
    mean: value,
    min: value,
    max: value,
    quantile: () => value,
  };
}

function telemetryOf(v: ScriptedTelemetry): Telemetry {
  const completed = v.completed ?? 0;
  const dropped = v.dropped ?? 0;
  const rejected = v.rejected ?? 0;
  const timedOut = v.timedOut ?? 0;
  const finished = completed + dropped + rejected + timedOut;
  return {
    ttft: constantView(completed, v.ttft),
    tpot: constantView(completed, v.tpot),
    e2e: constantView(completed, v.e2e),
    completed,
    dropped,
    rejected,
    timedOut,
    finished,
    errorRate: finished === 0 ? null : (dropped + rejected + timedOut) / finished,
  };
}
