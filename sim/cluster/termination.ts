import type { Simulator } from '../engine/simulator.js';
import type { DropCause } from '../traffic/request.js';
import type { PodEventLog } from './event-log.js';
import type { Pod } from './pod.js';

/** The kubelet's floor on the budget left for SIGTERM after preStop (minimumGracePeriodInSeconds). */
export const MINIMUM_GRACE_SECONDS = 2;

export interface TerminationListener {
  /**
   * The process is gone: stop start-up and probes, refuse connections, and abort what the server still holds
   * with `cause` (null: it exits idle or without a server).
   */
  stopContainer(pod: Pod, cause: DropCause | null): void;
  /** Fully terminated: free the node's resources. */
  gone(pod: Pod): void;
}

/** When SIGTERM comes and what ends the drain, from the pod's settings (all seconds after deletion). */
export interface TerminationPlan {
  /** preStop runs first, abandoned at the grace period: min(preStop sleep, G). */
  readonly sigtermAfter: number;
  /** SIGKILL: SIGTERM + max(G − preStopElapsed, 2). */
  readonly killAfter: number;
  /**
   * With a drain (shutdownTimeout > 0): when in-flight work is cut if the server is not idle by then, and
   * why — the server's own drain deadline, or the kubelet's SIGKILL if that comes first.
   */
  readonly cutAfter: number;
  readonly cutCause: DropCause;
}

/** rollout-semantics.md §2.2: the grace countdown starts before preStop; SIGKILL at G, or 2 s after SIGTERM. */
export function terminationPlan(grace: number, preStopSleep: number, shutdownTimeout: number): TerminationPlan {
  const sigtermAfter = Math.min(preStopSleep, grace);
  const killAfter = sigtermAfter + Math.max(grace - sigtermAfter, MINIMUM_GRACE_SECONDS);
  const drainEnds = sigtermAfter + shutdownTimeout;
  return drainEnds <= killAfter
    ? { sigtermAfter, killAfter, cutAfter: drainEnds, cutCause: 'drain-timeout' }
    : { sigtermAfter, killAfter, cutAfter: killAfter, cutCause: 'sigkill' };
}

const NO_EVENT = -1;

/**
 * Pod deletion (rollout-semantics.md §2.2, startup-and-drain.md "Does vLLM drain"): endpoint removal and the
 * preStop hook start together at deletion (the endpoint side is the cluster's); then SIGTERM. With
 * shutdownTimeout 0 (vLLM's default, and every vLLM before 0.18) the server aborts all in-flight work at once;
 * otherwise it stops admitting, finishes in-flight work and exits when idle, cutting the rest at its deadline
 * ('drain-timeout') or at SIGKILL ('sigkill'). Resources are freed only when the pod is gone.
 */
export class Terminator {
  private readonly onSigterm: number;
  private readonly onCut: number;

  constructor(
    private readonly sim: Simulator,
    private readonly pods: (podId: number) => Pod,
    private readonly listener: TerminationListener,
    private readonly log: PodEventLog,
  ) {
    this.onSigterm = sim.handler((podId) => this.sigterm(this.pods(podId)));
    this.onCut = sim.handler((podId) => this.cut(this.pods(podId)));
  }

  /** Deletion: the pod is marked Terminating; a pod without a running container goes at once. */
  begin(pod: Pod): void {
    const t = pod.template;
    pod.deleting = true;
    pod.deletedAt = this.sim.now;
    this.log.pod(pod, 'Killing', `grace period ${t.terminationGracePeriodSeconds}s`);
    if (!pod.containerRunning) {
      this.exit(pod, null);
      return;
    }
    const plan = this.plan(pod);
    if (plan.sigtermAfter > 0) {
      this.log.pod(pod, 'PreStop', `sleep ${plan.sigtermAfter}s`);
      pod.terminationTimer = this.sim.after(plan.sigtermAfter, this.onSigterm, pod.podId);
    } else this.sigterm(pod);
  }

  /** The server's in-flight work reached 0: a draining server exits now. */
  idle(pod: Pod): void {
    if (!pod.draining) return;
    this.sim.cancel(pod.terminationTimer);
    pod.terminationTimer = NO_EVENT;
    this.log.pod(pod, 'Exited', 'drained');
    this.exit(pod, null);
  }

  /** Dead container of a terminating pod (crash during preStop, a lost rank): nothing is left to wait for. */
  containerDied(pod: Pod, cause: DropCause): void {
    this.sim.cancel(pod.terminationTimer);
    pod.terminationTimer = NO_EVENT;
    this.exit(pod, cause);
  }

  private sigterm(pod: Pod): void {
    pod.terminationTimer = NO_EVENT;
    pod.sigtermAt = this.sim.now;
    const server = pod.server;
    const drain = pod.template.shutdownTimeout > 0;
    this.log.pod(pod, 'SIGTERM', server === null ? 'engine not started' : drain ? `drain up to ${pod.template.shutdownTimeout}s` : 'abort in-flight');
    if (server === null || !drain) {
      this.exit(pod, server === null ? null : 'sigterm-abort');
      return;
    }
    pod.admitting = false;
    pod.draining = true;
    if (server.outstanding() === 0) {
      this.idle(pod);
      return;
    }
    const plan = this.plan(pod);
    pod.terminationTimer = this.sim.at(pod.deletedAt + plan.cutAfter, this.onCut, pod.podId);
  }

  private cut(pod: Pod): void {
    pod.terminationTimer = NO_EVENT;
    const cause = this.plan(pod).cutCause;
    this.log.pod(pod, cause === 'sigkill' ? 'SIGKILL' : 'DrainTimeout', `${pod.outstanding()} requests in flight`);
    this.exit(pod, cause);
  }

  private exit(pod: Pod, cause: DropCause | null): void {
    pod.draining = false;
    this.listener.stopContainer(pod, cause);
    this.listener.gone(pod);
  }

  private plan(pod: Pod): TerminationPlan {
    const t = pod.template;
    return terminationPlan(t.terminationGracePeriodSeconds, t.preStopSleep, t.shutdownTimeout);
  }
}
