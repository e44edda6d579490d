import type { Simulator } from '../engine/simulator.js';
import type { Node } from './nodes.js';
import type { Pod } from './pod.js';

/** One line of the pod event log (events.csv): enough to replay a rollout by eye. */
export interface PodEvent {
  t: number;
  pod: string;
  version: string;
  node: string;
  event: string;
  reason: string;
}

/** Writes the pod event log (events.csv): one row per lifecycle step of a pod or a node. */
export class PodEventLog {
  constructor(
    private readonly sim: Simulator,
    private readonly emit: (event: PodEvent) => void,
  ) {}

  pod(pod: Pod, event: string, reason = ''): void {
    this.emit({ t: this.sim.now, pod: pod.name, version: pod.version, node: pod.node?.name ?? '', event, reason });
  }

  /** Rows about a pool or a ReplicaSet rather than one pod or node: `subject` goes in the pod column. */
  other(subject: string, version: string, event: string, reason = ''): void {
    this.emit({ t: this.sim.now, pod: subject, version, node: '', event, reason });
  }

  /** Node rows leave pod and version empty. */
  node(node: Node, event: string, reason = ''): void {
    this.emit({ t: this.sim.now, pod: '', version: '', node: node.name, event, reason });
  }
}
