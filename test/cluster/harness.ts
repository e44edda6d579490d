import { constant } from '../../sim/engine/distributions.js';
import { RandomStreams } from '../../sim/engine/random.js';
import { Simulator } from '../../sim/engine/simulator.js';
import { AUTOSCALER_PRESETS, type AutoscalerConfig } from '../../sim/cluster/autoscaler.js';
import { Cluster, type ClusterConfig } from '../../sim/cluster/cluster.js';
import { DEFAULT_EVICTION } from '../../sim/cluster/eviction.js';
import type { NodePoolSpec } from '../../sim/cluster/nodes.js';
import type { Pod } from '../../sim/cluster/pod.js';
import { makeProbe } from '../../sim/cluster/probes.js';
import { resolveStartup, type StartupInput } from '../../sim/cluster/startup-spec.js';
import { DEFAULT_STORE_LIMITS } from '../../sim/cluster/storage.js';
import { makePodTemplate, type PodTemplate, type PodTemplateArgs } from '../../sim/cluster/template.js';
import type { PodEvent } from '../../sim/cluster/event-log.js';
import type { Server } from '../../sim/serving/server.js';
import type { DropCause, RejectCause, Request, RequestSink, VersionRole } from '../../sim/traffic/request.js';

const GiB = 1024 ** 3;

export function pool(overrides: Partial<NodePoolSpec> = {}): NodePoolSpec {
  return {
    name: 'gpu',
    gpu: 'h100-80gb',
    gpusPerNode: 8,
    nodes: 2,
    minNodes: overrides.nodes ?? 2,
    maxNodes: overrides.nodes ?? 2,
    hostMemory: 2048 * GiB,
    ephemeralDisk: 500 * GiB,
    labels: {},
    ...overrides,
  };
}

/** Outcomes as the router would receive them. */
export class RecordingSink implements RequestSink {
  readonly outcomes: Array<{ id: number; t: number; outcome: string; cause: string }> = [];
  firstToken(): void {}
  completed(req: Request, at: number): void {
    this.outcomes.push({ id: req.id, t: at, outcome: 'completed', cause: '' });
  }
  dropped(req: Request, at: number, cause: DropCause): void {
    this.outcomes.push({ id: req.id, t: at, outcome: 'dropped', cause });
  }
  rejected(req: Request, at: number, cause: RejectCause): void {
    this.outcomes.push({ id: req.id, t: at, outcome: 'rejected', cause });
  }
  of(id: number) {
    return this.outcomes.find((o) => o.id === id);
  }
}

/** Every request takes `serviceSeconds`; enough of a server to watch admission, drain and abort. */
export class FakeServer implements Server {
  private readonly inFlight = new Map<number, { req: Request; event: number }>();
  private readonly idle: Array<() => void> = [];
  private readonly onDone: number;

  constructor(
    private readonly sim: Simulator,
    private readonly sink: RequestSink,
    private readonly serviceSeconds: number,
    readonly warm: boolean,
  ) {
    this.onDone = sim.handler((id) => this.finish(id));
  }
  submit(req: Request): void {
    this.inFlight.set(req.id, { req, event: this.sim.after(this.serviceSeconds, this.onDone, req.id) });
  }
  cancel(req: Request): void {
    const entry = this.inFlight.get(req.id);
    if (entry === undefined) return;
    this.sim.cancel(entry.event);
    this.inFlight.delete(req.id);
    this.notifyIfIdle();
  }
  abortAll(dropCause: DropCause): void {
    const entries = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const { req, event } of entries) {
      this.sim.cancel(event);
      this.sink.dropped(req, this.sim.now, dropCause);
    }
  }
  outstanding(): number {
    return this.inFlight.size;
  }
  pace(): null {
    return null;
  }
  forEachRequest(visit: (req: Request) => void): void {
    for (const { req } of this.inFlight.values()) visit(req);
  }
  waitingCount(): number {
    return 0;
  }
  runningCount(): number {
    return this.inFlight.size;
  }
  kvUsage(): number {
    return 0;
  }
  hasRoom(): boolean {
    return true;
  }
  hasPrefix(): boolean {
    return false;
  }
  onIdle(listener: () => void): void {
    this.idle.push(listener);
  }
  materialise(): void {}
  private finish(id: number): void {
    const entry = this.inFlight.get(id);
    if (entry === undefined) return;
    this.inFlight.delete(id);
    this.sink.completed(entry.req, this.sim.now);
    this.notifyIfIdle();
  }
  private notifyIfIdle(): void {
    if (this.inFlight.size === 0) for (const l of this.idle) l();
  }
}

let nextRequestId = 1;
export function request(): Request {
  const id = nextRequestId++;
  return {
    id,
    logicalId: id,
    attempt: 0,
    firstArrival: 0,
    arrival: 0,
    promptTokens: 100,
    outputTokens: 100,
    prefixGroup: -1,
    prefixTokens: 0,
    shadow: false,
    requestedAdapter: -1,
    adapter: -1,
    version: null,
    podId: -1,
    firstTokenAt: NaN,
    finishedAt: NaN,
    tokensStreamed: 0,
  };
}

export interface Harness {
  sim: Simulator;
  cluster: Cluster;
  events: PodEvent[];
  sink: RecordingSink;
  servers: Map<number, FakeServer>;
  statusChanges: { count: number };
  endpointChanges: VersionRole[];
  /** Events of one pod as [time, event] pairs. */
  timeline(pod: Pod | string): Array<[number, string]>;
  /** A template whose pods get FakeServers of this harness. */
  template(overrides?: TemplateOverrides): PodTemplate;
}

export type TemplateOverrides = Partial<PodTemplateArgs> & { startupInput?: StartupInput };

export interface HarnessOptions {
  pools?: NodePoolSpec[];
  autoscaler?: Partial<AutoscalerConfig>;
  config?: Partial<ClusterConfig>;
  seed?: number;
  simulator?: Simulator;
  serviceSeconds?: number;
}

export function harness(options: HarnessOptions = {}): Harness {
  const sim = options.simulator ?? new Simulator();
  const events: PodEvent[] = [];
  const statusChanges = { count: 0 };
  const endpointChanges: VersionRole[] = [];
  const config: ClusterConfig = {
    nodePools: options.pools ?? [pool()],
    autoscaler: { ...AUTOSCALER_PRESETS.none, ...options.autoscaler },
    endpointPropagation: { add: constant(1), remove: constant(2) },
    eviction: DEFAULT_EVICTION,
    storage: DEFAULT_STORE_LIMITS,
    ...options.config,
  };
  const cluster = new Cluster(sim, new RandomStreams(options.seed ?? 1), config, {
    statusChanged: () => statusChanges.count++,
    endpointsChanged: (v) => endpointChanges.push(v),
    podEvent: (e) => events.push(e),
  });
  const sink = new RecordingSink();
  cluster.setRequestSink(sink);
  const servers = new Map<number, FakeServer>();
  const createServer = (podId: number, { warm }: { warm: boolean }): Server => {
    const server = new FakeServer(sim, sink, options.serviceSeconds ?? 10, warm);
    servers.set(podId, server);
    return server;
  };
  const h: Harness = {
    sim,
    cluster,
    events,
    sink,
    servers,
    statusChanges,
    endpointChanges,
    timeline: (pod) => {
      const name = typeof pod === 'string' ? pod : pod.name;
      return events.filter((e) => e.pod === name).map((e) => [e.t, e.event] as [number, string]);
    },
    template: (overrides = {}) => template(createServer, overrides),
  };
  return h;
}

/** Fixed phase durations (seconds) unless overridden: pull 10, process 5, load 20, compile 10, capture 5, kv 5, warm-up 0. */
export const FIXED_PHASES: StartupInput = {
  imagePull: constant(10),
  processStart: constant(5),
  weightLoad: constant(20),
  compile: constant(10),
  graphCapture: constant(5),
  kvProfile: constant(5),
  warmup: constant(0),
};

export const MODEL = { name: 'test-8b', params: 8e9, weightBytes: 16e9 };

function template(createServer: PodTemplate['createServer'], overrides: TemplateOverrides): PodTemplate {
  const { startupInput, ...rest } = overrides;
  const model = rest.model ?? MODEL;
  return makePodTemplate({
    name: 'old',
    version: 'old',
    model,
    gpu: 'h100-80gb',
    tensorParallel: 1,
    startup: resolveStartup(startupInput ?? FIXED_PHASES, model, rest.tensorParallel ?? 1),
    pod: {
      probes: { readiness: makeProbe('health'), liveness: null, startup: null },
      preStopSleep: 0,
      terminationGracePeriodSeconds: 30,
      minReadySeconds: 0,
    },
    listenAt: 'engine-ready',
    shutdownTimeout: 0,
    createServer,
    ...rest,
  });
}
