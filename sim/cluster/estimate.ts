import { PROBE_DEFAULTS, ProbeCounter, nextProbeTime, probeOutcome, type ProbeSpec } from './probes.js';
import { KEPT_ASLEEP, STARTUP_PHASES, compileSecondsOn, wakeWeights, weightsAsleep, type CompileHit, type ModelFacts, type StartupPhase, type StartupSpec } from './startup-spec.js';
import { DEFAULT_STORE_LIMITS, stepSecondsAlone, weightLoadSteps, type StoreLimits, type WeightSource } from './storage.js';
import { NO_FAULTS, type ListenAt, type PodFaults, type PodProbes } from './template.js';

export interface StartupEstimateInput {
  readonly model: ModelFacts;
  readonly tensorParallel: number;
  readonly startup: StartupSpec;
  readonly storage?: Readonly<Record<WeightSource, StoreLimits>>;
  /** Default: a health readiness probe with Kubernetes defaults, no liveness or startup probe. */
  readonly probes?: PodProbes;
  readonly listenAt?: ListenAt;
  /**
   * What the node already holds (default: nothing — a cold node). `compileCached`: a compile-cache hit, read
   * from where `startup.compileCache` keeps it. `peerServing`: a pod of the same version serves (fromPeers).
   */
  readonly node?: {
    readonly hasImage?: boolean;
    readonly weightsLoaded?: boolean;
    readonly compileCached?: boolean;
    readonly peerServing?: boolean;
  };
  readonly faults?: PodFaults;
}

export interface StartupEstimate {
  /** Mean seconds of each phase for one pod alone on its node (no other loads sharing the stores). */
  readonly phases: Readonly<Record<StartupPhase, number>>;
  /** Binding → the engine can serve. */
  readonly timeToServableSeconds: number;
  /** Binding → Ready (Infinity when a startup or liveness probe kills the container first). */
  readonly timeToReadySeconds: number;
  /** Ready − servable: up to one probe period late, negative when readiness passes before the engine serves. */
  readonly readinessLagSeconds: number;
  readonly killedBy: 'startup' | 'liveness' | null;
}

const HEALTH_READINESS: ProbeSpec = { kind: 'health', ...PROBE_DEFAULTS };

/** Time to ready of one pod from its phase means, for the `estimate` command (no contention, no randomness). */
export function estimateStartup(input: StartupEstimateInput): StartupEstimate {
  const phases = phaseSeconds(input);
  const pull = phases.imagePull;
  let engineInit = 0;
  for (const phase of STARTUP_PHASES) if (phase !== 'imagePull' && phase !== 'warmup') engineInit += phases[phase];
  const servable = engineInit + phases.warmup;
  const listen = (input.listenAt ?? 'engine-ready') === 'process-start' ? 0 : engineInit;
  const timeline: Timeline = { listen, servable, warmAtStart: phases.warmup > 0 };
  const probes = input.probes ?? { readiness: HEALTH_READINESS, liveness: null, startup: null };
  const { readyAt, killedBy } = probeTimeline(probes, timeline);
  return {
    phases,
    timeToServableSeconds: pull + servable,
    timeToReadySeconds: pull + readyAt,
    readinessLagSeconds: readyAt - servable,
    killedBy,
  };
}

function phaseSeconds(input: StartupEstimateInput): Record<StartupPhase, number> {
  const s = input.startup;
  const node = input.node ?? {};
  const faults = input.faults ?? NO_FAULTS;
  const factor = faults.startupFactor;
  const pull = node.hasImage || s.imagePull === 'prepulled' ? 0 : s.imagePull === 'auto' ? s.imageBytes / s.pullBandwidth : s.imagePull.mean;
  const limits = input.storage ?? DEFAULT_STORE_LIMITS;
  const fromPeer = s.fromPeers && !weightsAsleep(s) && (node.peerServing ?? false);
  const compile = s.compile !== 'auto' ? s.compile.mean : compileSecondsOn(s, compileHit(s, fromPeer, node.compileCached ?? false), limits);
  const phases: Record<StartupPhase, number> = {
    imagePull: pull,
    processStart: s.processStart.mean * factor,
    weightLoad: weightLoadSeconds(input, limits, fromPeer, factor) + faults.extraLoadSeconds,
    compile: compile * factor,
    graphCapture: s.graphCapture.mean * factor,
    kvProfile: s.kvProfile.mean * factor,
    warmup: s.warmup.mean * factor,
  };
  // A sleeping engine has been through these already: a wake skips them, as in the pipeline.
  if (s.wakeFromSleep) for (const phase of KEPT_ASLEEP) phases[phase] = 0;
  return phases;
}

/** As the pipeline: the node's cache first, then the peer, then the shared volume. */
function compileHit(s: StartupSpec, fromPeer: boolean, cached: boolean): CompileHit {
  if (cached && s.compileCache === 'perNode') return 'node';
  if (fromPeer) return 'peer';
  if (cached && s.compileCache === 'shared') return 'shared';
  // compileCache none: a hit only if the caller says the artefacts are in the container (baked into the image).
  return cached ? 'node' : null;
}

function weightLoadSeconds(input: StartupEstimateInput, limits: Readonly<Record<WeightSource, StoreLimits>>, fromPeer: boolean, factor: number): number {
  const s = input.startup;
  if (s.weightLoad !== 'auto') return s.weightLoad.mean * factor;
  const onNode = wakeWeights(s) ?? (input.node?.weightsLoaded ? 'pageCache' : s.localModelCache ? 'disk' : 'none');
  const steps = weightLoadSteps(fromPeer ? 'peer' : s.weightSource, input.model.weightBytes * factor, input.tensorParallel, fromPeer ? 'none' : onNode);
  let seconds = 0;
  for (const step of steps) seconds += stepSecondsAlone(step, limits[step.source]);
  return seconds;
}

/** Seconds after container start when the port opens and the engine serves. */
interface Timeline {
  readonly listen: number;
  readonly servable: number;
  readonly warmAtStart: boolean;
}

/** Runs the probes over a known timeline: when the pod turns Ready, or which probe kills it first. */
export function probeTimeline(probes: PodProbes, timeline: Timeline): { readyAt: number; killedBy: 'startup' | 'liveness' | null } {
  let started = 0;
  if (probes.startup !== null) {
    const r = runProbe(probes.startup, 0, timeline);
    if (r.failedAt < r.passedAt) return { readyAt: Infinity, killedBy: 'startup' };
    started = r.passedAt;
  }
  const readyAt = probes.readiness === null ? started : runProbe(probes.readiness, started, timeline).passedAt;
  if (probes.liveness !== null) {
    const r = runProbe(probes.liveness, started, timeline);
    if (r.failedAt < r.passedAt && r.failedAt < readyAt) return { readyAt: Infinity, killedBy: 'liveness' };
  }
  return { readyAt, killedBy: null };
}

/** When one probe first reaches successThreshold and failureThreshold (Infinity if it never does first). */
function runProbe(spec: ProbeSpec, start: number, timeline: Timeline): { passedAt: number; failedAt: number } {
  const counter = new ProbeCounter(spec);
  let warm = timeline.warmAtStart;
  let failedAt = Infinity;
  for (let t = nextProbeTime(spec, start, start); ; t += spec.periodSeconds) {
    const target = { listening: t >= timeline.listen, servable: t >= timeline.servable, warm };
    const outcome = probeOutcome(spec, target);
    if (spec.kind === 'synthetic-inference' && target.servable) warm = true;
    const verdict = counter.record(outcome.success);
    if (verdict === 'passed') return { passedAt: t + outcome.after, failedAt };
    if (verdict === 'failed' && failedAt === Infinity) failedAt = t + outcome.after;
  }
}
