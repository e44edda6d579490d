import type { Pod } from '../cluster/pod.js';
import type { PodTemplate } from '../cluster/template.js';
import { terminationPlan } from '../cluster/termination.js';
import type { DropEstimator } from '../metrics/summary-types.js';
import type { Server } from '../serving/server.js';
import type { FailureOutcome, OutcomeListener } from '../traffic/outcome.js';
import type { Request } from '../traffic/request.js';

export interface DropRisk {
  /** Expected final drops of the run: the sampled drop count with its length noise integrated out. */
  readonly expectedDropped: number;
  /** P(at least one drop) = 1 − Π(1 − p) over every stream a cut could reach. */
  readonly pAnyDrop: number;
  readonly estimator: DropEstimator;
}

/** The cuts a pod's deletion schedules: their time is known the moment the termination begins. */
const SCHEDULED_CUTS: ReadonlySet<string> = new Set(['sigterm-abort', 'drain-timeout', 'sigkill', 'worker-lost']);

/**
 * Seconds from deletion to the moment a deleted pod cuts what it still holds: SIGTERM itself when the server
 * aborts in-flight work (no drain), else the end of the drain (its own deadline, or SIGKILL if sooner).
 */
export function cutDelay(template: PodTemplate): number {
  const plan = terminationPlan(template.terminationGracePeriodSeconds, template.preStopSleep, template.shutdownTimeout);
  const own = template.shutdownTimeout > 0 ? plan.cutAfter : plan.sigtermAfter;
  if (template.group === null) return own;
  // A multi-node replica's workers exit at their own SIGTERM, and the engine with them.
  return Math.min(own, terminationPlan(template.terminationGracePeriodSeconds, template.group.workerPreStopSleep, 0).sigtermAfter);
}

/** P(length > reachable | length > streamed): the chance the cut would find the stream still generating. */
export function cutProbability(survival: (k: number) => number, streamed: number, reachable: number): number {
  const alive = survival(streamed);
  if (!(alive > 0)) return 0;
  return Math.min(1, survival(reachable) / alive);
}

/**
 * Tokens a stream that completed with `outputTokens` would have streamed by the cut, had it been longer: one per
 * engine step the pod ran after it completed, then, once the pod had nothing else left, one per step of the
 * pod's last (smallest) batch until the cut.
 */
export function tokensReachableByCut(
  outputTokens: number,
  stepsAfter: number,
  lastStepEnd: number,
  lastStepSeconds: number,
  cutAt: number,
): number {
  const alone = cutAt - lastStepEnd;
  if (!(alone > 0)) return outputTokens + stepsAfter;
  return lastStepSeconds > 0 ? outputTokens + stepsAfter + alone / lastStepSeconds : Infinity;
}

/** A deleted pod whose cut the run will reach, and the completed streams waiting for its last engine step. */
interface DeletedPod {
  readonly server: Server;
  readonly cutAt: number;
  /** Per completed stream: tokens streamed at deletion, its output length, the pod's engine steps at completion. */
  readonly pending: number[];
}

/**
 * The conditional-expectation (Rao-Blackwell) estimator of drops, issue 16 part 1. A scheduled cut (SIGTERM
 * abort, drain deadline, SIGKILL) is known when a pod's deletion begins; every stream the pod holds then, or
 * takes later, is cut only if its output outlives the tokens it can stream by then. Instead of the 0/1 outcome
 * of the one length drawn, each such stream counts P(L > tokens by the cut | L > tokens streamed at deletion)
 * from the output-length distribution, at the pace the pod's engine kept in this run: a stream that was cut
 * counts the tokens it streamed; one that completed first counts what it would have streamed had it gone on (one
 * token per later engine step, then the last batch's pace until the cut). Cuts no one schedules (crash,
 * eviction, server error) count as sampled, and only a drop that would be final counts (an attempt the client
 * retries on a drop does not). With a replayed trace every length is known, and the estimate is the sample.
 *
 * Its mean over seeds is the sampled drops' mean (a stream's pace is, to first order, independent of its own
 * length); its variance is far smaller because the length draw, the rare event, is integrated out.
 */
export class DropRiskEstimator {
  /** Tokens streamed at deletion by the streams deleted pods held then (absent: none yet). */
  private readonly streamedAtDeletion = new Map<number, number>();
  private readonly deleted = new Map<number, DeletedPod>();
  private expected = 0;
  private logNoDrop = 0;
  private certainDrop = false;
  /** P(an output length exceeds k); null until bound, and for replayed lengths (each known: the sample). */
  private survival: ((k: number) => number) | null = null;
  private finalOutcome: (req: Request, outcome: FailureOutcome) => boolean = () => true;
  /** An engine without a step clock (the queue station) took part: the sample is all there is. */
  private paceUnknown = false;

  constructor(private readonly runEnd: number) {}

  /**
   * The traffic's output-length law and its clients' retry rule. Bound after construction because the traffic
   * source is built around the listener this estimator wraps.
   */
  bind(survival: ((k: number) => number) | null, finalOutcome: (req: Request, outcome: FailureOutcome) => boolean): void {
    this.survival = survival;
    this.finalOutcome = finalOutcome;
  }

  /** A pod's termination begins: remember how far each of its streams had got, and when they will be cut. */
  deleting(pod: Pod): void {
    const server = pod.server;
    if (this.survival === null || server === null) return;
    const cutAt = pod.deletedAt + cutDelay(pod.template);
    if (cutAt > this.runEnd) return;
    if (server.pace() === null) this.paceUnknown = true;
    this.deleted.set(pod.podId, { server, cutAt, pending: [] });
    server.forEachRequest((req) => {
      if (req.tokensStreamed > 0 && !req.shadow) this.streamedAtDeletion.set(req.id, req.tokensStreamed);
    });
  }

  /** Wraps the outcome listener so that every final outcome is also weighed here. */
  listen(next: OutcomeListener): OutcomeListener {
    return {
      arrived: (at) => next.arrived(at),
      retried: () => next.retried(),
      completed: (req, at) => {
        this.completed(req);
        next.completed(req, at);
      },
      failed: (req, at, outcome, cause) => {
        this.failed(req, outcome, cause);
        next.failed(req, at, outcome, cause);
      },
    };
  }

  /** The run's estimate; call once, after the run (completed streams wait for their pod's last step). */
  result(sampledDrops: number): DropRisk {
    const survival = this.survival;
    if (survival === null || this.paceUnknown) {
      return { expectedDropped: sampledDrops, pAnyDrop: sampledDrops > 0 ? 1 : 0, estimator: 'sample' };
    }
    for (const { server, cutAt, pending } of this.deleted.values()) {
      if (pending.length === 0) continue;
      const pace = server.pace();
      if (pace === null) continue;
      for (let i = 0; i < pending.length; i += 3) {
        const reachable = tokensReachableByCut(pending[i + 1], pace.steps - pending[i + 2], pace.lastStepEnd, pace.lastStepSeconds, cutAt);
        this.add(cutProbability(survival, pending[i], reachable));
      }
    }
    this.deleted.clear();
    return { expectedDropped: this.expected, pAnyDrop: this.certainDrop ? 1 : this.logNoDrop < 0 ? -Math.expm1(this.logNoDrop) : 0, estimator: 'conditional' };
  }

  private completed(req: Request): void {
    const pod = this.deleted.get(req.podId);
    if (pod === undefined) return;
    const streamed = this.forget(req);
    if (!this.finalOutcome(req, 'dropped')) return;
    const pace = pod.server.pace();
    if (pace !== null) pod.pending.push(streamed, req.outputTokens, pace.steps);
  }

  private failed(req: Request, outcome: FailureOutcome, cause: string): void {
    const streamed = this.forget(req);
    if (outcome !== 'dropped' || this.survival === null) return;
    const pod = this.deleted.get(req.podId);
    if (pod === undefined || !SCHEDULED_CUTS.has(cause)) this.add(1);
    else this.add(cutProbability(this.survival, streamed, req.tokensStreamed));
  }

  private forget(req: Request): number {
    const streamed = this.streamedAtDeletion.get(req.id);
    if (streamed === undefined) return 0;
    this.streamedAtDeletion.delete(req.id);
    return streamed;
  }

  private add(p: number): void {
    if (p <= 0) return;
    this.expected += p;
    if (p >= 1) this.certainDrop = true;
    else this.logNoDrop += Math.log1p(-p);
  }
}
