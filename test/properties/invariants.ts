/**
 * Invariants every run must keep (issue 8 §4), checked from the outside: the summary, the per-request records,
 * the pod event log and the series. Each check returns a description of the first violation, or null.
 */
import type { PodEvent } from '../../sim/cluster/event-log.js';
import type { RunResult } from '../../sim/run/result.js';
import { podTimeline, seriesDisagreement } from '../validation/scenario-kit.js';
import type { RandomScenario } from './random-scenario.js';

const EPS = 1e-9;

/** arrived = completed + dropped + rejected + timedOut + inFlightAtEnd, and one record per finished request. */
export function accountingViolation(result: RunResult): string | null {
  const q = result.summary.requests;
  const ended = q.completed + q.dropped + q.rejected + q.timedOut;
  if (q.arrived !== ended + q.inFlightAtEnd) {
    return `arrived ${q.arrived} ≠ completed ${q.completed} + dropped ${q.dropped} + rejected ${q.rejected} + timedOut ${q.timedOut} + inFlight ${q.inFlightAtEnd}`;
  }
  const records = result.requests;
  if (!records) return 'requests were not collected';
  if (records.length !== ended) return `${records.length} request records for ${ended} finished requests`;
  const seen = new Set<number>();
  const counts: Record<string, number> = { completed: 0, dropped: 0, rejected: 0, timedOut: 0 };
  for (const r of records) {
    if (seen.has(r.id)) return `request ${r.id} ended twice`;
    seen.add(r.id);
    counts[r.outcome]++;
  }
  for (const outcome of ['completed', 'dropped', 'rejected', 'timedOut'] as const) {
    if (counts[outcome] !== q[outcome]) return `${counts[outcome]} ${outcome} records, summary says ${q[outcome]}`;
  }
  for (const [outcome, byCause] of [['dropped', q.droppedByCause], ['rejected', q.rejectedByCause], ['timedOut', q.timedOutByCause]] as const) {
    const total = Object.values(byCause).reduce((a, b) => a + b, 0);
    if (total !== q[outcome]) return `${outcome} causes add up to ${total}, not ${q[outcome]}`;
  }
  return null;
}

/** Simulated time never goes back: the event log, the series and every request are in time order. */
export function timeViolation(result: RunResult, duration: number): string | null {
  const events = result.events;
  for (let i = 1; i < events.length; i++) {
    if (events[i].t < events[i - 1].t) return `event ${i} (${events[i].event}) at ${events[i].t} after one at ${events[i - 1].t}`;
  }
  if (events.length > 0 && events[events.length - 1].t > duration + EPS) return 'an event after the end of the run';
  const series = result.series;
  for (let i = 1; i < series.length; i++) {
    if (!(series[i].t > series[i - 1].t)) return `series row ${i} at ${series[i].t} after ${series[i - 1].t}`;
  }
  for (const r of result.requests ?? []) {
    const first = r.firstTokenAt ?? r.finishedAt;
    if (!(r.arrival <= first + EPS && first <= r.finishedAt + EPS && r.finishedAt <= duration + EPS)) {
      return `request ${r.id}: arrival ${r.arrival}, first token ${r.firstTokenAt}, finished ${r.finishedAt}`;
    }
  }
  for (const p of result.phases) if (!(p.start <= p.end)) return `phase ${p.name} ends (${p.end}) before it starts (${p.start})`;
  return null;
}

/**
 * No node ever holds more GPUs than it offers, at any event: rebuilt from Scheduled (reason = node) and Gone
 * rows, against the node's GPUs (nodes of t=0 are allocatable from the start; added ones from NodeAllocatable
 * until NodeRemoved, none between TriggeredScaleUp and NodeAllocatable). The series must agree with the event log and keep gpusHeld ≤ gpusAllocatable.
 */
export function gpuViolation(result: RunResult, gpusPerPod: number, gpusPerNode: number): string | null {
  const nodes = nodeGpuViolation(result, gpusPerPod, gpusPerNode);
  if (nodes !== null) return nodes;
  const states = podTimeline(result.events, { gpusPerPod, minReadySeconds: 0 });
  return seriesDisagreement(result, states);
}

/** The node-level part of gpuViolation, for every pod of the event log (a multi-node replica's workers included). */
export function nodeGpuViolation(result: RunResult, gpusPerPod: number, gpusPerNode: number): string | null {
  const capacity = new Map<string, number>();
  const held = new Map<string, number>();
  const nodeOf = new Map<string, string>();
  for (const e of result.events) {
    if (e.pod === '') {
      if (e.event === 'TriggeredScaleUp') capacity.set(e.node, 0);
      if (e.event === 'NodeAllocatable') capacity.set(e.node, gpusPerNode);
      if (e.event === 'NodeRemoved') capacity.set(e.node, 0);
      continue;
    }
    if (e.event === 'Scheduled') {
      nodeOf.set(e.pod, e.node);
      held.set(e.node, (held.get(e.node) ?? 0) + gpusPerPod);
      // Nodes of t=0 have no row of their own: allocatable from the start.
      const cap = capacity.get(e.node) ?? gpusPerNode;
      if ((held.get(e.node) ?? 0) > cap) return `t=${e.t}: node ${e.node} holds ${held.get(e.node)} GPUs of ${cap}`;
    } else if (e.event === 'Gone') {
      const node = nodeOf.get(e.pod);
      if (node !== undefined) {
        held.set(node, (held.get(node) ?? 0) - gpusPerPod);
        nodeOf.delete(e.pod);
      }
    }
  }
  for (const row of result.series) {
    if (row.gpusHeld > row.gpusAllocatable) return `t=${row.t}: series gpusHeld ${row.gpusHeld} > allocatable ${row.gpusAllocatable}`;
    if (row.gpusHeld !== row.gpusStarting + row.gpusServing + row.gpusDraining) return `t=${row.t}: GPU gauges do not add up`;
  }
  return null;
}

/** [from, to] spans during which a pod was in the gateway's endpoint list. */
type Spans = Array<[number, number]>;

/**
 * Rebuilds each pod's gateway endpoint membership from its Ready / NotReady / Killing / Gone rows and the
 * (constant) propagation delays, as EndpointTable does: a pod the gateway should route to joins `add` seconds
 * after it became so, leaves `remove` seconds after it stopped, and a change that reverses a pending one cancels it.
 */
export function endpointSpans(events: readonly PodEvent[], add: number, remove: number, end: number): Map<number, Spans> {
  interface Track {
    ready: boolean;
    deleting: boolean;
    member: boolean;
    pending: number | null;
    since: number;
    spans: Spans;
  }
  const tracks = new Map<number, Track>();
  const land = (tr: Track, upTo: number) => {
    if (tr.pending === null || tr.pending > upTo) return;
    if (tr.member) tr.spans.push([tr.since, tr.pending]);
    else tr.since = tr.pending;
    tr.member = !tr.member;
    tr.pending = null;
  };
  for (const e of events) {
    if (e.pod === '' || !['Ready', 'NotReady', 'Killing', 'Gone'].includes(e.event)) continue;
    const id = podIdOf(e.pod);
    let tr = tracks.get(id);
    if (!tr) {
      tr = { ready: false, deleting: false, member: false, pending: null, since: 0, spans: [] };
      tracks.set(id, tr);
    }
    land(tr, e.t);
    if (e.event === 'Ready') tr.ready = true;
    else if (e.event === 'NotReady') tr.ready = false;
    else tr.deleting = true;
    const wanted = tr.ready && !tr.deleting;
    if (e.t === 0 && e.event === 'Ready') {
      // The initial fleet is in the endpoints at t=0 at once.
      tr.member = true;
      tr.since = 0;
    } else if (wanted === tr.member) tr.pending = null;
    else if (tr.pending === null) tr.pending = e.t + (wanted ? add : remove);
  }
  const spans = new Map<number, Spans>();
  for (const [id, tr] of tracks) {
    land(tr, end);
    if (tr.member) tr.spans.push([tr.since, Infinity]);
    spans.set(id, tr.spans);
  }
  return spans;
}

export function podIdOf(name: string): number {
  return Number(name.slice(name.lastIndexOf('-') + 1));
}

/**
 * No request is served by a pod outside the endpoints: a first attempt (attempt 1) routed at once (no central queue) was
 * dispatched on arrival, so its pod must have been an endpoint then; and no pod completes work after it is gone
 * or before its engine serves.
 */
export function endpointViolation(result: RunResult, sc: RandomScenario): string | null {
  const spans = endpointSpans(result.events, sc.propagation.add, sc.propagation.remove, sc.duration);
  const engineReady = new Map<number, number[]>();
  const gone = new Map<number, number>();
  for (const e of result.events) {
    if (e.pod === '') continue;
    const id = podIdOf(e.pod);
    if (e.event === 'EngineReady' || (e.event === 'Ready' && e.t === 0)) engineReady.set(id, [...(engineReady.get(id) ?? []), e.t]);
    if (e.event === 'Gone') gone.set(id, e.t);
  }
  for (const r of result.requests ?? []) {
    if (r.outcome !== 'completed') continue;
    const starts = engineReady.get(r.pod);
    if (!starts || starts[0] > (r.firstTokenAt ?? r.finishedAt) + EPS) return `request ${r.id} served by pod ${r.pod} before its engine served`;
    if (r.finishedAt > (gone.get(r.pod) ?? Infinity) + EPS) return `request ${r.id} completed by pod ${r.pod} after it was gone`;
    if (r.attempt !== 1 || sc.centralQueue) continue;
    const member = (spans.get(r.pod) ?? []).some(([from, to]) => r.arrival >= from - EPS && r.arrival <= to + EPS);
    if (!member) return `request ${r.id} (arrival ${r.arrival}) served by pod ${r.pod}, not an endpoint then (spans ${JSON.stringify(spans.get(r.pod))})`;
  }
  return null;
}

/** A rollout that started ends completed, rolled back, aborted or stalled — never silently unfinished. */
export function rolloutViolation(result: RunResult): string | null {
  const r = result.summary.rollout;
  if (r.startedAt === null) return r.outcome === 'none' ? null : `outcome ${r.outcome} without a start`;
  if (r.outcome === 'none') return `the rollout started at ${r.startedAt} and ended with outcome none`;
  if (r.outcome === 'completed' && r.finishedAt === null) return 'completed without a finish time';
  if (r.outcome === 'stalled' && !r.reason) return 'stalled without a reason';
  return null;
}
