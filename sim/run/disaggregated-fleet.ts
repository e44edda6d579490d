import type { Cluster } from '../cluster/cluster.js';
import type { Pod } from '../cluster/pod.js';
import type { ReplicaSet } from '../cluster/replicaset.js';
import { makePodTemplate, type PodTemplate } from '../cluster/template.js';
import type { RandomStreams } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import type { DisaggregationSummary } from '../metrics/summary-types.js';
import type { RolloutController } from '../rollout/controller.js';
import type { RolloutHost } from '../rollout/host.js';
import { CoordinatedPdController, deploymentRoles, IndependentPdController, roleHost, type PdWorkloads } from '../rollout/pd-controllers.js';
import { CoordinatedLwsPdController, lwsRoles, type PdLwsRoles } from '../rollout/pd-lws-controller.js';
import type { EndpointSource } from '../routing/endpoint.js';
import { PrefillDispatcher } from '../routing/prefill-dispatch.js';
import { RoleEndpoints } from '../routing/role-endpoints.js';
import { DecodeFront } from '../serving/decode-front.js';
import type { Server } from '../serving/server.js';
import { serverFactory, type FleetHooks, type VersionBehaviour } from '../serving/setup.js';
import type { RequestSink, VersionRole } from '../traffic/request.js';
import { RatioTracker, roleReadyCounts, type RoleReadyCounts } from './disaggregation-metrics.js';
import type { ResolvedDisaggregation } from './disaggregation-resolve.js';

/**
 * The prefill role of a disaggregated run and what ties it to the decode role (docs/disaggregation.md): the
 * prefill pods' templates and servers, the split of the router's view into the two roles, the prefill stage every
 * decode pod's server hands its requests to, the rollout of both roles, and the ratio the run reports.
 */
export class DisaggregatedFleet {
  readonly dispatcher: PrefillDispatcher;
  readonly roles: RoleEndpoints;
  private readonly ratio: RatioTracker;
  private readonly templates: Readonly<Record<VersionRole, PodTemplate>>;
  private readonly prefillTemplates: ReadonlySet<PodTemplate>;
  private stable: ReplicaSet | null = null;
  private observePending = false;
  private readonly onObserve: number;

  constructor(
    private readonly sim: Simulator,
    private readonly cluster: Cluster,
    routerView: EndpointSource,
    private readonly config: ResolvedDisaggregation,
    decodeReplicas: number,
    /** Whether the rollout runs now: the ratio's range and drift are over the rollout. */
    private readonly rolloutRunning: () => boolean,
    prefillServers: { streams: RandomStreams; behaviour: Readonly<Record<VersionRole, VersionBehaviour>>; hooks: FleetHooks },
  ) {
    this.roles = new RoleEndpoints(routerView, (podId) => this.isPrefill(cluster.pods[podId]));
    this.dispatcher = new PrefillDispatcher(sim, this.roles.prefill, config.link);
    const { streams, behaviour, hooks } = prefillServers;
    // The hooks object is read when each server starts (the warm-up's prefixes are set after the run is wired).
    const create = serverFactory(config.prefillServing, sim, streams, behaviour, hooks);
    const template = (version: VersionRole): PodTemplate =>
      makePodTemplate({ ...config.prefillTemplates[version], createServer: (podId, { warm }) => create(podId, version, warm, this.dispatcher) });
    this.templates = { old: template('old'), new: template('new') };
    this.prefillTemplates = new Set([this.templates.old, this.templates.new]);
    this.ratio = new RatioTracker(config.prefillReplicas, decodeReplicas);
    this.onObserve = sim.handler(() => this.observe());
  }

  isPrefill(pod: Pod): boolean {
    return this.prefillTemplates.has(pod.template);
  }

  /** A decode pod's server: its engine behind the prefill stage, reporting to `sink` (the router). */
  decodeServer(engine: Server, sink: RequestSink): Server {
    return new DecodeFront(this.sim, engine, sink, this.dispatcher);
  }

  /** The prefill pods serving at time 0. */
  placeInitialFleet(cold: boolean): void {
    this.stable = this.cluster.createReplicaSet(this.templates.old);
    this.cluster.initialFleet(this.stable, this.config.prefillReplicas, { cold });
  }

  /** The rollout of both roles (spec.rollout.disaggregated), the decode role being the deployment. */
  controller(host: RolloutHost, decodeStable: ReplicaSet, decodeReplicas: number, progressDeadlineSeconds: number): RolloutController | null {
    const plan = this.config.rollout;
    if (plan === null || this.stable === null) return null;
    const hosts = {
      decode: roleHost(host, 'decode', host.createReplicaSet),
      prefill: roleHost(host, 'prefill', (version) => this.cluster.createReplicaSet(this.templates[version])),
    };
    if (plan.strategy === 'leaderWorkerSet') {
      const roles: PdLwsRoles = {
        decode: { host: hosts.decode, stable: decodeStable, config: { replicas: decodeReplicas, ...plan.decode } },
        prefill: { host: hosts.prefill, stable: this.stable, config: { replicas: this.config.prefillReplicas, ...plan.prefill } },
      };
      return plan.mode === 'coordinated' ? new CoordinatedLwsPdController(host, roles) : new IndependentPdController(host, 'leaderWorkerSet', lwsRoles(roles));
    }
    const workloads: PdWorkloads = {
      decode: { host: hosts.decode, stable: decodeStable, replicas: decodeReplicas, ...plan.decode },
      prefill: { host: hosts.prefill, stable: this.stable, replicas: this.config.prefillReplicas, ...plan.prefill },
    };
    return plan.mode === 'coordinated'
      ? new CoordinatedPdController(host, workloads)
      : new IndependentPdController(host, 'rollingUpdate', deploymentRoles(workloads, progressDeadlineSeconds));
  }

  counts(): RoleReadyCounts {
    return roleReadyCounts(this.cluster.pods, (pod) => this.isPrefill(pod));
  }

  /**
   * The cluster's status changed: the ratio is read once at this instant, after the controller's sync (a late
   * event scheduled after the driver's), so the writes of one sync pass are seen together, as a watcher would.
   */
  statusChanged(): void {
    if (this.observePending) return;
    this.observePending = true;
    this.sim.atLate(this.sim.now, this.onObserve);
  }

  private observe(): void {
    this.observePending = false;
    if (this.rolloutRunning()) this.ratio.observe(this.counts());
  }

  summary(): DisaggregationSummary {
    return this.ratio.summary(this.dispatcher.stats);
  }
}
