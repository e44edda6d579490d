/**
 * Time integrals of the cluster's capacity for the summary. Two GPU-hour figures, because they answer
 * different questions:
 * - podGpuSeconds: GPUs held by pods, from binding until fully gone (start-up and draining included) — what the
 *   workload occupies;
 * - nodeGpuSeconds: GPUs of every node that exists, from the VM request (provisioning) until removal — what the
 *   cloud bills, idle surge nodes included.
 */
export class ClusterAccounting {
  gpusHeld = 0;
  pendingPods = 0;
  nodeGpus = 0;
  peakGpus = 0;
  podGpuSeconds = 0;
  pendingPodSeconds = 0;
  nodeGpuSeconds = 0;
  private last: number;

  constructor(now: number) {
    this.last = now;
  }

  /** Integrates up to `now` and applies the deltas. */
  change(now: number, gpusHeld: number, pendingPods: number, nodeGpus: number): void {
    this.advance(now);
    this.gpusHeld += gpusHeld;
    this.pendingPods += pendingPods;
    this.nodeGpus += nodeGpus;
    if (this.gpusHeld > this.peakGpus) this.peakGpus = this.gpusHeld;
  }

  advance(now: number): void {
    const dt = now - this.last;
    if (dt <= 0) return;
    this.podGpuSeconds += this.gpusHeld * dt;
    this.pendingPodSeconds += this.pendingPods * dt;
    this.nodeGpuSeconds += this.nodeGpus * dt;
    this.last = now;
  }
}
