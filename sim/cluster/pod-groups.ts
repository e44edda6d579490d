/**
 * Multi-node replicas in the request-level cluster, as LeaderWorkerSet runs them (kubernetes-sigs/lws,
 * pkg/controllers/pod_controller.go): the leader pod runs the serving engine; the worker pods of its group hold
 * the other ranks. This file holds the rules the cluster applies to a group; cluster.ts and kubelet.ts apply them.
 */
import { InternalError } from '../errors.js';
import type { Pod } from './pod.js';
import type { PodTemplate } from './template.js';

const workerTemplates = new WeakMap<PodTemplate, PodTemplate>();

/**
 * The template of a leader's workers: the same image, weights shard, resources and start-up, no probes (a Ray
 * worker serves no HTTP: Ready once its container starts), no engine of its own, and the worker's preStop; a
 * worker exits at SIGTERM (nothing to drain).
 */
export function workerTemplateOf(leader: PodTemplate): PodTemplate {
  const group = leader.group;
  if (group === null) throw new InternalError(`template ${leader.name} has no group: it has no workers`);
  let worker = workerTemplates.get(leader);
  if (worker === undefined) {
    worker = {
      ...leader,
      name: `${leader.name}-worker`,
      probes: { readiness: null, liveness: null, startup: null },
      preStopSleep: group.workerPreStopSleep,
      shutdownTimeout: 0,
      group: null,
      createServer: () => {
        throw new InternalError(`a worker pod of ${leader.name} was asked to start a serving engine`);
      },
    };
    workerTemplates.set(leader, worker);
  }
  return worker;
}

/**
 * Does a member's container restart recreate its whole group? RecreateGroupOnPodRestart: always.
 * RecreateGroupAfterStart: only once no member is Pending (still unscheduled or pulling its image: no container
 * has started), so a slow first start-up is not restarted in a loop. None: never (the pod restarts alone).
 */
export function restartRecreatesGroup(leader: Pod): boolean {
  const group = leader.template.group;
  if (group === null) return false;
  switch (group.restartPolicy) {
    case 'RecreateGroupOnPodRestart':
      return true;
    case 'RecreateGroupAfterStart':
      return leader.rankPhase !== 'Pending' && leader.workers.every((w) => w.rankPhase !== 'Pending');
    case 'None':
      return false;
  }
}

/** The leader of a pod's group (itself for a leader or a single pod). */
export function leaderOf(pod: Pod): Pod {
  return pod.leader ?? pod;
}
