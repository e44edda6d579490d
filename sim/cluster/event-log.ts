import type { Simulator } from '../engine/simulator.js';
import type { PodEvent } from '../run/result.js';
import type { Node } from './nodes.js';
import type { Pod } from './pod.js';

/** Writes the pod event log (events.csv): one row per lifecycle step of a pod or a node. */
export class PodEventLog {
  constructor(
    private readonly sim: Simulator,
    private readonly emit: (event: PodEvent) => void,
  ) {}

  pod(pod: Pod, event: string, reason = ''): void {
    this.emit({ t: this.sim.now, pod: pod.name, version: pod.version, node: pod.node?.name ?? '', event, reason });
  }

  /** Node rows leave pod and version empty. */
  node(node: Node, event: string, reason = ''): void {
    this.emit({ t: this.sim.now, pod: '', version: '', node: node.name, event, reason });
  }
}
