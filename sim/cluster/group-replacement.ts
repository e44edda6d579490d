import type { Pod } from './pod.js';

/** Where the gate reports what it does (the pod event log). */
export type GateLog = (leader: Pod, event: 'SchedulingGated' | 'SchedulingGateRemoved', reason: string) => void;

/**
 * LeaderWorkerSet's group replacement gate in hash mode, PostTermination (kubernetes-sigs/lws#1050): the webhook
 * gates every new leader at creation; per LeaderWorkerSet, with G leaders gated and T deleted groups still
 * tearing down (some pod of the group exists while its leader is terminating or gone), the pod controller lifts
 * the gate of the oldest G − T and defers the rest, creating nothing for them. So a replacement group never
 * competes for nodes with the group it replaces, as an ordinal StatefulSet cannot either.
 */
export class ReplacementGate {
  private readonly gated: Pod[] = [];
  private readonly tearingDown = new Set<Pod>();

  /** `admit` receives each leader whose gate is lifted (it then gets its workers and is scheduled). */
  constructor(
    private readonly admit: (leader: Pod) => void,
    private readonly log: GateLog,
  ) {}

  /** A new leader of a PostTermination hash group. */
  hold(leader: Pod): void {
    this.log(leader, 'SchedulingGated', 'group replacement (PostTermination): admitted once no deleted group of its LeaderWorkerSet is still tearing down');
    this.gated.push(leader);
    this.release();
  }

  /** A hash-mode leader is deleted: a gated one just leaves the queue; a placed group starts tearing down. */
  deleted(leader: Pod): void {
    const i = this.gated.indexOf(leader);
    if (i >= 0) this.gated.splice(i, 1);
    else this.tearingDown.add(leader);
  }

  /** A pod of a group went away: once the deleted group has no pod left, the gated replacements move. */
  podGone(leader: Pod): void {
    if (!this.tearingDown.has(leader) || leader.stage !== 'Gone' || leader.workers.length > 0) return;
    this.tearingDown.delete(leader);
    this.release();
  }

  private release(): void {
    if (this.gated.length === 0) return;
    const tearing = countByWorkload(this.tearingDown);
    const gated = countByWorkload(this.gated);
    const left = new Map([...gated].map(([w, g]) => [w, Math.max(0, g - (tearing.get(w) ?? 0))]));
    const still: Pod[] = [];
    for (const leader of this.gated) {
      const w = workloadOf(leader);
      const n = left.get(w) ?? 0;
      if (n === 0) {
        still.push(leader);
        continue;
      }
      left.set(w, n - 1);
      this.log(leader, 'SchedulingGateRemoved', `group replacement: ${tearing.get(w) ?? 0} deleted groups tearing down, ${gated.get(w)} gated`);
      this.admit(leader);
    }
    this.gated.splice(0, this.gated.length, ...still);
  }
}

function workloadOf(leader: Pod): string {
  return leader.template.group?.hash?.workload ?? '';
}

function countByWorkload(leaders: Iterable<Pod>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const leader of leaders) counts.set(workloadOf(leader), (counts.get(workloadOf(leader)) ?? 0) + 1);
  return counts;
}
