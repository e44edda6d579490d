import type { Simulator } from '../engine/simulator.js';
import type { Request } from '../traffic/request.js';

/**
 * The router / endpoint picker as a Deployment of its own (`routing.gateway`): replicas behind their own Service,
 * each on the path of every chunk of the streams it proxies (an EPP with response processing, a router that
 * relays the stream). Rolled with maxSurge 1 / maxUnavailable 0: a new replica starts, is Ready `startup` seconds
 * later, then one old replica gets SIGTERM: it takes no new request and streams still open through it when its
 * grace period ends are cut (kserve/kserve#5602).
 */
export interface GatewaySpec {
  readonly replicas: number;
  readonly terminationGracePeriodSeconds: number;
  /** Seconds from creating a replica to Ready. */
  readonly startup: number;
  /** When its rollout starts (absolute simulated seconds), or null: it is not rolled. */
  readonly rolloutAt: number | null;
}

type ReplicaState = 'starting' | 'serving' | 'terminating' | 'gone';

interface GatewayReplica {
  state: ReplicaState;
  /** Client attempts whose stream goes through it. */
  readonly streams: Map<number, Request>;
}

export class GatewayFleet {
  private readonly replicas: GatewayReplica[] = [];
  /** Replicas of the old template not yet replaced, oldest first. */
  private toReplace: number[] = [];
  private turn = 0;
  private readonly onReady: number;
  private readonly onKill: number;
  private readonly onRollout: number;
  /** Streams cut by a killed replica. */
  cut = 0;

  constructor(
    private readonly sim: Simulator,
    private readonly spec: GatewaySpec,
    /** The stream of `req` was cut: its replica was killed. */
    private readonly cutStream: (req: Request) => void,
  ) {
    for (let i = 0; i < spec.replicas; i++) this.replicas.push({ state: 'serving', streams: new Map() });
    this.onReady = sim.handler((index) => this.ready(index));
    this.onKill = sim.handler((index) => this.kill(index));
    this.onRollout = sim.handler(() => this.startRollout());
    if (spec.rolloutAt !== null) sim.at(spec.rolloutAt, this.onRollout);
  }

  /** Sends the stream of `req` through a serving replica (round-robin, as the gateway's Service spreads connections). */
  assign(req: Request): void {
    const n = this.replicas.length;
    for (let k = 0; k < n; k++) {
      const replica = this.replicas[this.turn++ % n];
      if (replica.state === 'serving') {
        replica.streams.set(req.id, req);
        return;
      }
    }
  }

  /** The stream of `req` ended. */
  release(req: Request): void {
    for (let i = 0; i < this.replicas.length; i++) if (this.replicas[i].streams.delete(req.id)) return;
  }

  private startRollout(): void {
    this.toReplace = this.replicas.map((_, i) => i).filter((i) => this.replicas[i].state === 'serving');
    this.surge();
  }

  private surge(): void {
    if (this.toReplace.length === 0) return;
    this.replicas.push({ state: 'starting', streams: new Map() });
    this.sim.after(this.spec.startup, this.onReady, this.replicas.length - 1);
  }

  private ready(index: number): void {
    this.replicas[index].state = 'serving';
    const old = this.toReplace.shift() as number;
    this.replicas[old].state = 'terminating';
    this.sim.after(this.spec.terminationGracePeriodSeconds, this.onKill, old);
    this.surge();
  }

  private kill(index: number): void {
    const replica = this.replicas[index];
    replica.state = 'gone';
    const open = [...replica.streams.values()];
    replica.streams.clear();
    this.cut += open.length;
    for (const req of open) this.cutStream(req);
  }
}
