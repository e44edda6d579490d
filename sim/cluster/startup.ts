import type { RandomStreams, Rng } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import { InternalError } from '../errors.js';
import type { PodEventLog } from './event-log.js';
import type { Node } from './nodes.js';
import type { Pod } from './pod.js';
import { STARTUP_PHASES, type StartupPhase } from './startup-spec.js';
import { SharedStore, WEIGHT_SOURCES, weightLoadSteps, type StoreLimits, type TransferListener, type WeightSource } from './storage.js';

/** What the start-up pipeline reports to the kubelet. */
export interface StartupListener {
  /** The container runs (image present): probes start, the pod's phase turns Running. */
  containerStarted(pod: Pod): void;
  /** The server's port opened. */
  listening(pod: Pod): void;
  /** Init and warm-up done: the engine can serve (`pod.warm` says whether a warm-up ran). */
  servable(pod: Pod): void;
  /** The process exited during start-up (a bad version). */
  crashed(pod: Pod, phase: StartupPhase): void;
  /** The pod's memory or disk use on its node changed, or the node's image cache did (checked later, never inside this call). */
  usageChanged(node: Node): void;
}

const NO_EVENT = -1;

/**
 * Runs each bound pod through imagePull → processStart → weightLoad → compile → graphCapture → kvProfile →
 * warmup. Fixed and random phases are one timer each; `auto` phases read the node's caches (image, page cache,
 * compile cache) and `auto` weight loads go through the shared stores, so concurrent loads slow each other.
 */
export class StartupPipeline implements TransferListener {
  private readonly rng: Rng;
  private readonly stores = new Map<WeightSource, SharedStore>();
  private readonly onTimer: number;
  /** Compile caches filled anywhere in the cluster (compileCache: shared). */
  private readonly sharedCompiled = new Set<string>();

  constructor(
    private readonly sim: Simulator,
    streams: RandomStreams,
    storage: Readonly<Record<WeightSource, StoreLimits>>,
    private readonly pods: (podId: number) => Pod,
    private readonly listener: StartupListener,
    private readonly log: PodEventLog,
  ) {
    this.rng = streams.stream('cluster.startup');
    for (const source of WEIGHT_SOURCES) this.stores.set(source, new SharedStore(sim, source, storage[source], this));
    this.onTimer = sim.handler((podId) => this.finishPhase(this.pods(podId)));
  }

  /** Starts (or restarts) the pod's container on its node, pulling the image first when the node lacks it. */
  start(pod: Pod): void {
    pod.stage = 'Starting';
    this.enter(pod, 'imagePull');
  }

  /** Stops start-up work (container killed or exited): timers, weight transfers, the load's memory. */
  stop(pod: Pod): void {
    if (pod.phaseTimer !== NO_EVENT) this.sim.cancel(pod.phaseTimer);
    pod.phaseTimer = NO_EVENT;
    if (pod.loadStore !== null) pod.loadStore.abort(pod.podId);
    pod.loadStore = null;
    pod.phase = null;
  }

  /** Marks a node as having everything a template's pods need (the initial fleet's nodes). */
  prime(pod: Pod, node: Node): void {
    node.images.set(pod.template.image, pod.template.startup.imageBytes);
    node.weightsLoaded.add(pod.template.weightsKey);
    const key = compileKey(pod);
    node.compiled.add(key);
    this.sharedCompiled.add(key);
  }

  private store(source: WeightSource): SharedStore {
    return this.stores.get(source) as SharedStore;
  }

  transferDone(podId: number): void {
    const pod = this.pods(podId);
    pod.loadStore = null;
    pod.loadStep++;
    if (pod.loadStep < pod.loadSteps.length) this.startTransfer(pod);
    else this.schedule(pod, pod.template.faults.extraLoadSeconds);
  }

  private enter(pod: Pod, phase: StartupPhase): void {
    pod.phase = phase;
    this.log.pod(pod, phase);
    switch (phase) {
      case 'imagePull':
        return this.schedule(pod, this.pullSeconds(pod, pod.node as Node));
      case 'weightLoad':
        return this.beginWeightLoad(pod);
      case 'compile':
        return this.schedule(pod, this.scaled(pod, this.compileSeconds(pod, pod.node as Node)));
      case 'warmup': {
        const seconds = this.scaled(pod, pod.template.startup.warmup.sample(this.rng));
        pod.warm = seconds > 0;
        return this.schedule(pod, seconds);
      }
      default:
        return this.schedule(pod, this.scaled(pod, pod.template.startup[phase].sample(this.rng)));
    }
  }

  private schedule(pod: Pod, seconds: number): void {
    pod.phaseTimer = this.sim.after(seconds, this.onTimer, pod.podId);
  }

  private finishPhase(pod: Pod): void {
    pod.phaseTimer = NO_EVENT;
    const phase = pod.phase;
    if (phase === null) throw new InternalError(`start-up timer fired for pod ${pod.name} outside start-up`);
    const node = pod.node as Node;
    const t = pod.template;
    switch (phase) {
      case 'imagePull':
        node.pulls.delete(t.image);
        node.images.set(t.image, t.startup.imageBytes);
        pod.containerStartedAt = this.sim.now;
        pod.memoryUsage = t.resources.hostMemoryUsage;
        this.listener.usageChanged(node);
        this.listener.containerStarted(pod);
        if (t.listenAt === 'process-start') this.listener.listening(pod);
        break;
      case 'weightLoad':
        node.weightsLoaded.add(t.weightsKey);
        pod.memoryUsage = t.resources.hostMemoryUsage;
        this.listener.usageChanged(node);
        break;
      case 'compile':
        node.compiled.add(compileKey(pod));
        this.sharedCompiled.add(compileKey(pod));
        break;
      default:
        break;
    }
    if (t.faults.crashAfter === phase) {
      this.listener.crashed(pod, phase);
      return;
    }
    if (phase === 'kvProfile' && t.listenAt === 'engine-ready') this.listener.listening(pod);
    if (phase === 'warmup') {
      pod.phase = null;
      this.listener.servable(pod);
      return;
    }
    this.enter(pod, STARTUP_PHASES[STARTUP_PHASES.indexOf(phase) + 1]);
  }

  /** Kubelet pulls IfNotPresent; a pull already running on the node for the same image is shared. */
  private pullSeconds(pod: Pod, node: Node): number {
    const t = pod.template;
    const spec = t.startup.imagePull;
    if (spec === 'prepulled') {
      node.images.set(t.image, t.startup.imageBytes);
      return 0;
    }
    const inFlight = node.pulls.get(t.image);
    // A pull goes on in the container runtime when the pod that started it goes away.
    if (inFlight !== undefined && inFlight <= this.sim.now) {
      node.pulls.delete(t.image);
      node.images.set(t.image, t.startup.imageBytes);
    }
    if (node.images.has(t.image)) return 0;
    if (inFlight !== undefined) return inFlight - this.sim.now;
    const seconds = spec === 'auto' ? t.startup.imageBytes / t.startup.pullBandwidth : spec.sample(this.rng);
    node.pulls.set(t.image, this.sim.now + seconds);
    return seconds;
  }

  private beginWeightLoad(pod: Pod): void {
    const t = pod.template;
    const factor = t.faults.startupFactor;
    pod.memoryUsage = t.resources.hostMemoryUsage + t.resources.loadingMemory;
    const node = pod.node as Node;
    this.listener.usageChanged(node);
    if (t.startup.weightLoad !== 'auto') {
      this.schedule(pod, t.startup.weightLoad.sample(this.rng) * factor + t.faults.extraLoadSeconds);
      return;
    }
    const cached = node.weightsLoaded.has(t.weightsKey);
    pod.loadSteps = weightLoadSteps(t.startup.weightSource, t.model.weightBytes * factor, t.tensorParallel, cached);
    if (pod.loadSteps.some((step) => step.source === 'hub')) pod.diskUsage = t.resources.ephemeralUsage;
    pod.loadStep = 0;
    this.startTransfer(pod);
  }

  private startTransfer(pod: Pod): void {
    const step = pod.loadSteps[pod.loadStep];
    const store = this.store(step.source);
    pod.loadStore = store;
    store.start(pod.podId, (pod.node as Node).id, step.readers, step.bytesPerReader);
  }

  private compileSeconds(pod: Pod, node: Node): number {
    const s = pod.template.startup;
    if (s.compile !== 'auto') return s.compile.sample(this.rng);
    const key = compileKey(pod);
    const hit =
      (s.compileCache === 'perNode' && node.compiled.has(key)) || (s.compileCache === 'shared' && this.sharedCompiled.has(key));
    return hit ? s.compileCachedSeconds : s.compileColdSeconds;
  }

  private scaled(pod: Pod, seconds: number): number {
    return seconds * pod.template.faults.startupFactor;
  }
}

/** Compiled artefacts depend on the model, the TP degree and the engine build (the image). */
function compileKey(pod: Pod): string {
  const t = pod.template;
  return `${t.model.name}/tp${t.tensorParallel}/${t.image}`;
}
