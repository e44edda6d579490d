import type { Simulator } from '../engine/simulator.js';

/**
 * Gateway configuration (the active service, weights, mirrors) reaches the data path a fixed delay after it is
 * written, as an Envoy or ingress config push does; changes land in the order they were made.
 */
export class GatewayPropagation {
  private readonly pending: (() => void)[] = [];
  private readonly land: number;

  constructor(
    private readonly sim: Simulator,
    readonly delay: number,
  ) {
    this.land = sim.handler(() => this.pending.shift()?.());
  }

  apply(change: () => void): void {
    if (this.delay === 0) {
      change();
      return;
    }
    this.pending.push(change);
    this.sim.after(this.delay, this.land);
  }
}
