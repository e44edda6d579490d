/**
 * Test-only helpers to run small scenarios through the real library (loadScenarioText → runScenario) and read
 * what happened back out of the pod event log, independently of the cluster's own counters.
 */
import { loadScenarioText } from '../../sim/scenario/load.js';
import { runScenario, type RunOptions } from '../../sim/run/run-scenario.js';
import type { PodEvent } from '../../sim/cluster/event-log.js';
import type { RunResult } from '../../sim/run/result.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };
export type Doc = { [key: string]: Json | undefined };

/**
 * The smallest world in which the rollout goldens are exact: one 8-GPU node, TP1 pods of a queueing-mode server
 * (cheap to serve), every start-up phase fixed at 0 except a 10 s weight load, a 1 s readiness period (so a pod
 * is Ready exactly 10 s after it is scheduled), no grace period, light Poisson traffic, 1 s metric windows.
 */
export function baseScenario(): Doc {
  return {
    apiVersion: 'rollout-sim/v1alpha1',
    kind: 'Scenario',
    metadata: { name: 'golden' },
    spec: {
      seed: 1,
      duration: '300s',
      cluster: {
        nodePools: [{ name: 'a', gpu: 'h100-80gb', gpusPerNode: 8, nodes: 1 }],
        autoscaler: 'none',
      },
      model: { name: 'llama-3.1-8b', tensorParallel: 1 },
      server: { model: 'queue', serviceTime: '50ms', concurrency: 8 },
      startup: { imagePull: '0s', processStart: '0s', weightLoad: '10s', compile: '0s', graphCapture: '0s', kvProfile: '0s', warmup: '0s' },
      deployment: { replicas: 4, readinessProbe: { periodSeconds: 1 }, preStop: { sleep: '0s' }, terminationGracePeriodSeconds: 0 },
      traffic: { arrival: { poisson: { rate: '4/s' } }, promptTokens: { constant: 100 }, outputTokens: { constant: 10 } },
      metrics: { windowSeconds: '1s' },
    },
  };
}

/**
 * Deep merge for scenario documents: objects merge key by key, anything else (arrays included) replaces, and
 * `undefined` deletes the key.
 */
export function merge(base: Doc, patch: Doc): Doc {
  const out: Doc = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    if (value === undefined) delete out[key];
    else if (isObject(value) && isObject(current)) out[key] = merge(current, value);
    else out[key] = value;
  }
  return out;
}

function isObject(v: unknown): v is Doc {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `spec` patch on top of baseScenario(). */
export function scenario(spec: Doc): Doc {
  return merge(baseScenario(), { spec });
}

export function run(doc: Doc, options: RunOptions = {}): RunResult {
  return runScenario(loadScenarioText(JSON.stringify(doc)), options);
}

/** The cluster as the pod event log tells it, after every event of one instant has applied. */
export interface PodState {
  t: number;
  podsOld: number;
  podsNew: number;
  readyOld: number;
  readyNew: number;
  /** Ready for minReadySeconds, both versions (what Deployment status calls available). */
  available: number;
  gpusHeld: number;
}

interface PodTrack {
  version: string;
  active: boolean;
  ready: boolean;
  available: boolean;
  holdsGpus: boolean;
}

/**
 * Replays the pod event log: Created → active; Scheduled → holds its GPUs; Ready / NotReady; Available (only
 * logged when minReadySeconds > 0; with 0, Ready is available); Killing → no longer active (terminating pods are
 * not counted, rollout-semantics.md §1.3); Gone → GPUs freed. The initial fleet is Ready and available at t=0.
 * Returns one state per instant at which an event happened.
 */
export function podTimeline(events: readonly PodEvent[], opts: { gpusPerPod: number; minReadySeconds: number }): PodState[] {
  const pods = new Map<string, PodTrack>();
  const states: PodState[] = [];
  const snapshot = (t: number): PodState => {
    const s: PodState = { t, podsOld: 0, podsNew: 0, readyOld: 0, readyNew: 0, available: 0, gpusHeld: 0 };
    for (const p of pods.values()) {
      const old = p.version === 'old';
      if (p.active) {
        if (old) s.podsOld++;
        else s.podsNew++;
        if (p.ready) {
          if (old) s.readyOld++;
          else s.readyNew++;
        }
        if (p.available) s.available++;
      }
      if (p.holdsGpus) s.gpusHeld += opts.gpusPerPod;
    }
    return s;
  };
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e.pod !== '') {
      let p = pods.get(e.pod);
      if (p === undefined) {
        p = { version: e.version, active: false, ready: false, available: false, holdsGpus: false };
        pods.set(e.pod, p);
      }
      switch (e.event) {
        case 'Created':
          p.active = true;
          break;
        case 'Scheduled':
          p.holdsGpus = true;
          break;
        case 'Ready':
          p.ready = true;
          p.available = opts.minReadySeconds === 0 || e.t === 0;
          break;
        case 'Available':
          p.available = p.ready;
          break;
        case 'NotReady':
          p.ready = false;
          p.available = false;
          break;
        case 'Killing':
          p.active = false;
          break;
        case 'Gone':
          p.active = false;
          p.holdsGpus = false;
          break;
      }
    }
    if (i + 1 === events.length || events[i + 1].t !== e.t) states.push(snapshot(e.t));
  }
  return states;
}

/** (t − start, Σ old pods, new pods, available, GPUs held): the golden-row shape of rollout-semantics.md §6. */
export type Row = readonly [t: number, old: number, neu: number, available: number, gpus: number];

/** The rows from `start` on, keeping only instants where the tuple changed (the first row is always kept). */
export function goldenRows(states: readonly PodState[], start: number): Row[] {
  const rows: Row[] = [];
  let last = '';
  let before: PodState | null = null;
  for (const s of states) {
    if (s.t < start) {
      before = s;
      continue;
    }
    const row: Row = [round(s.t - start), s.podsOld, s.podsNew, s.available, s.gpusHeld];
    const key = row.slice(1).join(',');
    if (rows.length === 0 && before !== null && s.t > start) {
      // Nothing happened exactly at `start`: the state then is the one before it.
      rows.push([0, before.podsOld, before.podsNew, before.available, before.gpusHeld]);
      last = rows[0].slice(1).join(',');
    }
    if (key === last) continue;
    rows.push(row);
    last = key;
  }
  return rows;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * The series gauges must say what the event log says. A sample at t sees the events at t only partly (the
 * sample is an event of that instant too), so samples at instants with pod events are skipped. Returns the
 * first disagreement, or null.
 */
export function seriesDisagreement(result: RunResult, states: readonly PodState[]): string | null {
  const eventTimes = new Set(result.events.filter((e) => e.pod !== '').map((e) => e.t));
  let k = -1;
  for (const row of result.series) {
    while (k + 1 < states.length && states[k + 1].t <= row.t) k++;
    if (eventTimes.has(row.t) || k < 0) continue;
    const s = states[k];
    for (const field of ['podsOld', 'podsNew', 'readyOld', 'readyNew', 'gpusHeld'] as const) {
      if (row[field] !== s[field]) return `t=${row.t}: series ${field}=${row[field]}, event log says ${s[field]}`;
    }
  }
  return null;
}

/** Times (relative to `start`) of rollout-level log lines (pod '' and version 'new') with this event name. */
export function rolloutEventTimes(result: RunResult, event: string, start: number): number[] {
  return result.events.filter((e) => e.pod === '' && e.node === '' && e.event === event).map((e) => round(e.t - start));
}
