import type { RandomStreams, Rng } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import { InternalError } from '../errors.js';
import type { PodEventLog } from './event-log.js';
import type { Node } from './nodes.js';
import type { Pod } from './pod.js';
import { StartupStats } from './startup-stats.js';
import { KEPT_ASLEEP, STARTUP_PHASES, compileSecondsOn, wakeWeights, weightsAsleep, type CompileHit, type StartupPhase, type StartupSpec } from './startup-spec.js';
import { NO_SOURCE, SharedStore, WEIGHT_SOURCES, weightLoadSteps, type NodeWeights, type StoreLimits, type TransferListener, type WeightSource } from './storage.js';

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
  private readonly onRequestsDone: number;
  readonly stats = new StartupStats();
  /** Compile caches filled anywhere in the cluster (compileCache: shared). */
  private readonly sharedCompiled = new Set<string>();
  /** Pods that served, by weights key: the candidates a `fromPeers` load copies from (checked when used). */
  private readonly servedBy = new Map<string, Pod[]>();

  constructor(
    private readonly sim: Simulator,
    streams: RandomStreams,
    private readonly storage: Readonly<Record<WeightSource, StoreLimits>>,
    private readonly pods: (podId: number) => Pod,
    private readonly listener: StartupListener,
    private readonly log: PodEventLog,
  ) {
    this.rng = streams.stream('cluster.startup');
    for (const source of WEIGHT_SOURCES) this.stores.set(source, new SharedStore(sim, source, storage[source], this));
    this.onTimer = sim.handler((podId) => this.finishPhase(this.pods(podId)));
    this.onRequestsDone = sim.handler((podId) => this.beginStepTransfer(this.pods(podId)));
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
    const key = compileKey(pod, node);
    node.compiled.add(key);
    this.sharedCompiled.add(key);
    this.served(pod);
  }

  /** The pod's engine serves: later pods of its version may copy from it. */
  private served(pod: Pod): void {
    // A worker holds one rank's shard and no engine: no one copies from it.
    if (pod.leader !== null) return;
    const list = this.servedBy.get(pod.template.weightsKey);
    if (list === undefined) this.servedBy.set(pod.template.weightsKey, [pod]);
    else if (!list.includes(pod)) list.push(pod);
  }

  /** A pod of the same version serving now (not terminating), dropping those that stopped for good. */
  private servingPeer(pod: Pod): Pod | null {
    const list = this.servedBy.get(pod.template.weightsKey);
    if (list === undefined) return null;
    for (let i = list.length - 1; i >= 0; i--) {
      const peer = list[i];
      if (peer.stage === 'Gone' || peer.deleting) list.splice(i, 1);
      else if (peer.servable && peer !== pod) return peer;
    }
    return null;
  }

  private store(source: WeightSource): SharedStore {
    return this.stores.get(source) as SharedStore;
  }

  transferDone(podId: number): void {
    const pod = this.pods(podId);
    pod.loadStore = null;
    pod.loadStep++;
    if (pod.loadStep < pod.loadSteps.length) this.startStep(pod);
    else this.schedule(pod, pod.template.faults.extraLoadSeconds);
  }

  private enter(pod: Pod, phase: StartupPhase): void {
    pod.phase = phase;
    if (pod.template.startup.wakeFromSleep && KEPT_ASLEEP.has(phase)) {
      this.log.pod(pod, phase, 'kept asleep');
      return this.schedule(pod, 0);
    }
    // The weight load logs itself, with the source a lever chose.
    if (phase === 'weightLoad') return this.beginWeightLoad(pod);
    this.log.pod(pod, phase);
    switch (phase) {
      case 'imagePull':
        return this.schedule(pod, this.pullSeconds(pod, pod.node as Node));
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
        node.compiled.add(compileKey(pod, node));
        this.sharedCompiled.add(compileKey(pod, node));
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
      this.served(pod);
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
    pod.copiedFrom = null;
    if (t.startup.weightLoad !== 'auto') {
      this.log.pod(pod, 'weightLoad');
      this.schedule(pod, t.startup.weightLoad.sample(this.rng) * factor + t.faults.extraLoadSeconds);
      return;
    }
    const onNode = wakeWeights(t.startup) ?? nodeWeights(node.weightsLoaded.has(t.weightsKey), t.startup.localModelCache);
    // A peer beats even the page cache (GPU to GPU) and brings the compiled artefacts along.
    const peer = t.startup.fromPeers && onNode !== 'asleep' ? this.servingPeer(pod) : null;
    pod.copiedFrom = peer;
    if (peer !== null) this.stats.peerCopies++;
    else if (t.startup.fromPeers) this.stats.peerFallbacks++;
    this.log.pod(pod, 'weightLoad', loadReason(t.startup, peer, onNode));
    pod.loadSteps = weightLoadSteps(peer !== null ? 'peer' : t.startup.weightSource, t.model.weightBytes * factor, t.tensorParallel, peer !== null ? 'none' : onNode);
    if (pod.loadSteps.some((step) => step.source === 'hub')) pod.diskUsage = t.resources.ephemeralUsage;
    pod.loadStep = 0;
    this.startStep(pod);
  }

  /** A step's request round trips first (one timer), then its bytes through the shared store. */
  private startStep(pod: Pod): void {
    const step = pod.loadSteps[pod.loadStep];
    const latency = step.requests * (this.store(step.source).limits.requestLatency ?? 0);
    if (latency > 0) pod.phaseTimer = this.sim.after(latency, this.onRequestsDone, pod.podId);
    else this.beginStepTransfer(pod);
  }

  private beginStepTransfer(pod: Pod): void {
    pod.phaseTimer = NO_EVENT;
    const step = pod.loadSteps[pod.loadStep];
    const store = this.store(step.source);
    pod.loadStore = store;
    // A copy from a peer shares the peer's GPUs with the other pods copying from it.
    const peer = step.source === 'peer' ? pod.copiedFrom : null;
    store.start(pod.podId, (pod.node as Node).id, step.readers, step.bytesPerReader, peer?.podId ?? NO_SOURCE, peer?.template.tensorParallel ?? 0);
  }

  /**
   * A hit reads the artefacts: from the node (included in the measured cached seconds), or fetched from the
   * shared volume or the peer the weights came from.
   */
  private compileSeconds(pod: Pod, node: Node): number {
    const s = pod.template.startup;
    if (s.compile !== 'auto') return s.compile.sample(this.rng);
    const hit = this.compileHit(pod, node);
    if (hit === null) this.stats.compileColdRuns++;
    else this.stats.compileCacheHits++;
    return compileSecondsOn(s, hit, this.storage);
  }

  private compileHit(pod: Pod, node: Node): CompileHit {
    const s = pod.template.startup;
    const key = compileKey(pod, node);
    if (s.compileCache === 'perNode' && node.compiled.has(key)) return 'node';
    if (pod.copiedFrom !== null) return 'peer';
    if (s.compileCache === 'shared' && this.sharedCompiled.has(key)) return 'shared';
    return null;
  }

  private scaled(pod: Pod, seconds: number): number {
    return seconds * pod.template.faults.startupFactor;
  }
}

/**
 * Compiled artefacts are reused only when the model, the TP degree, the GPU and the engine build (the image)
 * all match: a new image invalidates them, so the first pod of a new version compiles cold.
 */
function compileKey(pod: Pod, node: Node): string {
  const t = pod.template;
  return `${t.model.name}/tp${t.tensorParallel}/${node.pool.gpu}/${t.image}`;
}

function nodeWeights(inPageCache: boolean, localModelCache: boolean): NodeWeights {
  return inPageCache ? 'pageCache' : localModelCache ? 'disk' : 'none';
}

const NODE_WEIGHTS_REASON: Readonly<Record<NodeWeights, string>> = { asleep: 'wake from sleep', pageCache: 'page cache', disk: 'node model cache', none: '' };

/** The events.csv reason of a weight load: where it read from when a lever is on, else empty. */
function loadReason(s: StartupSpec, peer: Pod | null, onNode: NodeWeights): string {
  if (peer !== null) return `from peer ${peer.name}`;
  const local = NODE_WEIGHTS_REASON[onNode];
  if (weightsAsleep(s)) return local;
  if (s.wakeFromSleep === 2) return `sleep level 2: reload from ${local}`;
  if (s.fromPeers) return `no serving peer: fallback to ${local || s.weightSource}`;
  return s.localModelCache ? local : '';
}
