import type { ReplicaSet } from '../cluster/replicaset.js';
import { InternalError } from '../errors.js';
import { ControllerBase } from './controller.js';
import type { GatewayCutoverSpec } from './gateway-cutover-schema.js';
import type { RolloutHost } from './host.js';

/**
 * A cut-over done by hand at the gateway: green is scaled to its size at rollout.at, then each step writes the
 * gateway's weights and mirror at its time, whatever the pods' state (an operator applying a VirtualService does
 * not wait for the controller; a step that sends traffic to green before it is available is logged), and blue is
 * scaled to zero at scaleDownOldAt. The rollout is complete once the last write is done. An abort routes
 * everything back to blue, stops the mirror and scales green to zero.
 */
export class GatewayCutoverController extends ControllerBase {
  readonly strategy = 'gatewayCutover';
  private green: ReplicaSet | null = null;
  private next = 0;
  private readonly greenReplicas: number;

  constructor(
    host: RolloutHost,
    private readonly spec: GatewayCutoverSpec,
    private readonly blue: ReplicaSet,
    replicas: number,
  ) {
    super(host);
    this.greenReplicas = spec.newReplicas ?? replicas;
  }

  start(): void {
    const now = this.host.now();
    this.state.startedAt = now;
    this.green = this.host.createReplicaSet('new');
    this.host.setReplicas(this.green, this.greenReplicas);
    this.host.log('RolloutStarted', `gateway cut-over: green at ${this.greenReplicas} replicas, ${this.spec.steps.length} gateway steps`);
    this.enterPhase('green up');
    for (const step of this.spec.steps) this.host.wakeAt(now + step.at);
    if (this.spec.scaleDownOldAt !== undefined) this.host.wakeAt(now + this.spec.scaleDownOldAt);
  }

  protected override onAbort(): void {
    this.host.setMirror(null);
    this.host.setSplit([{ version: 'old', weight: 100 }]);
    if (this.green) this.host.setReplicas(this.green, 0);
  }

  sync(): boolean {
    const green = this.green;
    const startedAt = this.state.startedAt;
    if (!green || startedAt === null || this.state.finishedAt !== null) return false;
    if (this.abortedAt !== null) {
      this.completeAbort();
      return true;
    }
    const now = this.host.now();
    const step = this.spec.steps[this.next];
    if (step && now >= startedAt + step.at) {
      this.apply(step, green);
      this.next++;
      return true;
    }
    if (step) return false;
    const scaleDownAt = this.spec.scaleDownOldAt;
    if (scaleDownAt !== undefined) {
      if (now < startedAt + scaleDownAt) return false;
      this.host.setReplicas(this.blue, 0);
    }
    this.complete('completed', undefined);
    return true;
  }

  private apply(step: GatewayCutoverSpec['steps'][number], green: ReplicaSet): void {
    const weights = step.weights;
    if (!weights) throw new InternalError('gateway step without weights: the loader reads virtualService / ingress files into weights');
    const mirror = step.mirror ?? 0;
    this.host.setMirror(mirror > 0 ? { version: 'new', share: mirror / 100 } : null);
    this.host.setSplit([
      { version: 'old', weight: weights.old },
      { version: 'new', weight: weights.new },
    ]);
    const share = (100 * weights.new) / (weights.old + weights.new);
    this.host.log('GatewayStep', `weights old ${weights.old} / new ${weights.new}${mirror > 0 ? `, mirror ${mirror}% to new` : ''}`);
    const available = this.host.status(green).availableReplicas;
    if ((share > 0 || mirror > 0) && available < this.greenReplicas) {
      this.host.log('GreenNotReady', `traffic sent to green with ${available} of ${this.greenReplicas} replicas available`);
    }
    this.enterPhase(share >= 100 ? (this.spec.scaleDownOldAt !== undefined ? 'soak' : 'cut over') : mirror > 0 && share === 0 ? 'shadow' : `new ${share.toFixed(0)}%`);
  }
}
