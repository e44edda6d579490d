import type { ReplicaSet } from '../cluster/replicaset.js';
import type { IntOrPercent } from '../config/int-or-percent.js';
import { ExpressionError } from '../expressions/errors.js';
import type { CompiledExpression } from '../expressions/safe-eval.js';
import { FLAGGER_DEFAULTS } from '../config/upstream-defaults.js';
import { compileQuery, telemetryFields, type TelemetryFields } from './analysis-runner.js';
import { ControllerBase } from './controller.js';
import { maxUnavailable } from './fenceposts.js';
import {
  advanceCanaryWeight,
  analysisInterval,
  flaggerStrategyKind,
  maxWeight,
  metricRange,
  nextStepWeight,
  promotionTrafficShift,
  thresholdProblem,
  versionWeights,
  type FlaggerRoutes,
  type FlaggerStrategyKind,
  type FlaggerWeights,
  type ThresholdCheck,
} from './flagger-arithmetic.js';
import type { FlaggerSpec, FlaggerWebhook, FlaggerWebhookType } from './flagger-schema.js';
import type { RolloutHost } from './host.js';
import { rollingSyncStep, type RsSnapshot } from './rolling-update.js';

/** A metric check ready to run: what it reads and the range it must stay in. */
export type FlaggerCheck =
  | { readonly name: string; readonly kind: 'request-success-rate' | 'request-duration'; readonly interval: number; readonly range: ThresholdCheck }
  | { readonly name: string; readonly kind: 'template'; readonly interval: number; readonly range: ThresholdCheck; readonly query: CompiledExpression };

export interface FlaggerParams {
  /** The primary's replicas (the target Deployment's). */
  readonly replicas: number;
  /** The canary Deployment's size once scaled from zero. */
  readonly canaryReplicas: number;
  readonly weights: FlaggerWeights;
  /** Seconds between two runs of the scheduler (already clamped to 10 s). */
  readonly interval: number;
  readonly threshold: number;
  readonly mirrorWeight: number;
  readonly primaryReadyThreshold: number;
  readonly canaryReadyThreshold: number;
  readonly progressDeadlineSeconds: number;
  readonly checks: readonly FlaggerCheck[];
  readonly webhooks: readonly FlaggerWebhook[];
  /** The target Deployment's RollingUpdate: the canary's availability budget, and the primary's on promotion. */
  readonly maxSurge: IntOrPercent;
  readonly maxUnavailable: IntOrPercent;
}

/** Canary status.phase (pkg/apis/flagger/v1beta1/status.go). */
export type FlaggerPhase =
  | 'Initialized'
  | 'Waiting'
  | 'Progressing'
  | 'WaitingPromotion'
  | 'Promoting'
  | 'Finalising'
  | 'Succeeded'
  | 'Failed';

type Readiness = 'ready' | 'wait' | 'deadline';

const TOTAL_ON_PRIMARY: FlaggerRoutes = { primary: 100, canary: 0, mirrored: false };

/**
 * Flagger's scheduler (fluxcd/flagger pkg/controller/scheduler.go `advanceCanary`; rollout-semantics.md §4) over
 * the simulated cluster. Flagger acts once per analysis interval, not on every status change: the first run
 * (at rollout.at: the new revision is detected) passes the confirm-rollout gates and scales the canary Deployment
 * from zero to its own size beside the primary, which keeps serving at full size; each later run checks that the
 * primary and the canary are ready, runs the pre-rollout hooks (first run) or the analysis (rollout hooks and
 * metric checks; a failure adds a failed check and holds), rolls back once failedChecks reaches the threshold,
 * and otherwise moves the weights one step (canary) or counts an iteration (blue-green, mirrored throughout with
 * `mirror`). At maxWeight, or after the iterations, the confirm-promotion gates open the promotion: the canary spec
 * is copied to the primary, whose own rolling update (the Deployment controller, on every status change) replaces
 * its pods; once the primary is ready the traffic goes back to it, and the next run scales the canary to zero.
 * A rollback routes everything to the primary and scales the canary to zero at once (the primary never changed).
 */
export class FlaggerController extends ControllerBase {
  readonly strategy = 'flagger';
  readonly kind: FlaggerStrategyKind;
  phase: FlaggerPhase = 'Initialized';
  failedChecks = 0;
  iterations = 0;
  private canary: ReplicaSet | null = null;
  /** The primary's ReplicaSet of the promoted spec, once Flagger has copied the canary spec into it. */
  private primaryNew: ReplicaSet | null = null;
  private routes: FlaggerRoutes = TOTAL_ON_PRIMARY;
  private appliedSplit = '';
  private nextRun = 0;
  private canaryScaledAt = 0;
  private primaryProgress = { key: '', at: 0 };
  private chartPhase = '';
  private readonly hookFirstCall = new Map<FlaggerWebhook, number>();

  constructor(
    host: RolloutHost,
    private readonly params: FlaggerParams,
    private readonly primary: ReplicaSet,
  ) {
    super(host);
    this.kind = flaggerStrategyKind(params.weights);
  }

  start(): void {
    this.state.startedAt = this.host.now();
    this.nextRun = this.host.now();
    this.canary = this.host.createReplicaSet('new');
    const w = this.params.weights;
    const plan =
      this.kind === 'blue-green'
        ? `blue-green, ${w.iterations} iterations${w.mirror ? ', mirrored' : ''}`
        : `canary to ${maxWeight(w)}%${w.mirror ? ', mirror first' : ''}`;
    this.host.log('RolloutStarted', `flagger ${plan}, analysis every ${this.params.interval}s, threshold ${this.params.threshold}`);
  }

  /** Flagger has no abort command; an operator's abort acts as a rollback webhook would, except mid-promotion. */
  override abort(reason: string, byAnalysis = false): void {
    if (this.phase === 'Promoting' || this.phase === 'Finalising') {
      this.host.log('AbortIgnored', `${reason}: the primary is already being promoted`);
      return;
    }
    super.abort(reason, byAnalysis);
  }

  /** rollback: all traffic to the primary, the canary scaled to zero, phase Failed, post-rollout hooks. */
  protected override onAbort(): void {
    this.setRoutes(TOTAL_ON_PRIMARY);
    if (this.canary) this.host.setReplicas(this.canary, 0);
    this.setPhase('Failed');
    this.callHooks('post-rollout');
  }

  sync(): boolean {
    const canary = this.canary;
    if (!canary || this.state.finishedAt !== null) return false;
    if (this.abortedAt !== null) {
      this.completeAbort();
      return true;
    }
    if (this.syncPrimaryDeployment()) return true;
    if (this.primaryNew) this.applySplit();
    const now = this.host.now();
    if (now < this.nextRun) return false;
    this.nextRun = now + this.params.interval;
    this.host.wakeAt(this.nextRun);
    this.advance(canary, now);
    return true;
  }

  /** One run of advanceCanary. */
  private advance(canary: ReplicaSet, now: number): void {
    if (this.phase === 'Initialized' || this.phase === 'Waiting') {
      if (!this.hooksPass('confirm-rollout')) {
        if (this.phase !== 'Waiting') this.host.log('Waiting', 'confirm-rollout gate closed: waiting for approval');
        this.enterNamedPhase('waiting for confirm-rollout');
        this.setPhase('Waiting');
        return;
      }
      this.host.setReplicas(canary, this.params.canaryReplicas);
      this.canaryScaledAt = now;
      this.setPhase('Progressing');
      this.enterNamedPhase('canary up');
      this.host.log('NewRevision', `new revision detected: canary scaled from zero to ${this.params.canaryReplicas}`);
      return;
    }
    const primary = this.primaryReadiness(now);
    if (primary === 'deadline') {
      if (this.phase === 'Promoting' || this.phase === 'Finalising') this.failPromotion();
      else this.abort('primary not ready past progressDeadlineSeconds', true);
      return;
    }
    if (primary === 'wait') return;
    const canaryReady = this.canaryReadiness(canary, now);
    if (canaryReady === 'deadline') {
      this.abort(`canary not ready ${this.params.progressDeadlineSeconds}s after it was scaled up (progress deadline exceeded)`, true);
      return;
    }
    if (canaryReady === 'wait') return;
    if (this.phase !== 'Promoting' && this.phase !== 'Finalising' && this.rollbackHookPasses()) {
      this.abort('rollback webhook invoked', true);
      return;
    }
    if (this.phase === 'Promoting') {
      const shift = promotionTrafficShift(this.params.weights, this.routes);
      this.setRoutes(shift.routes);
      if (shift.done) {
        this.setPhase('Finalising');
        this.enterNamedPhase('finalising');
      }
      return;
    }
    if (this.phase === 'Finalising') {
      this.host.setReplicas(canary, 0);
      this.setPhase('Succeeded');
      this.callHooks('post-rollout');
      this.complete('completed', undefined);
      return;
    }
    if (this.failedChecks >= this.params.threshold) {
      this.abort(`failed checks threshold reached ${this.failedChecks}`, true);
      return;
    }
    if (this.routes.canary === 0 && this.iterations === 0 && !this.routes.mirrored) {
      this.enterNamedPhase('analysis');
      if (!this.hooksPass('pre-rollout')) {
        this.failCheck('pre-rollout webhook failed');
        return;
      }
    } else {
      const problem = this.runAnalysis(now);
      if (problem !== null) {
        this.failCheck(problem);
        return;
      }
    }
    if (this.kind === 'blue-green') this.runBlueGreen();
    else this.runCanary();
  }

  private runCanary(): void {
    const w = this.params.weights;
    if (nextStepWeight(w, this.routes.canary) <= 0) return;
    if (this.routes.canary < maxWeight(w)) {
      if (!this.routes.mirrored && this.phase === 'Progressing' && !this.hooksPass('confirm-traffic-increase')) return;
      this.setRoutes(advanceCanaryWeight(w, this.routes));
      return;
    }
    if (!this.confirmPromotion()) return;
    this.copyCanaryToPrimary();
  }

  private runBlueGreen(): void {
    const target = this.params.weights.iterations;
    if (target > this.iterations) {
      if (this.params.weights.mirror && !this.routes.mirrored) this.setRoutes({ primary: 100, canary: 0, mirrored: true });
      this.iterations++;
      this.host.log('Iteration', `canary iteration ${this.iterations}/${target}`);
      return;
    }
    if (!this.confirmPromotion()) return;
    if (target === this.iterations) {
      this.setRoutes({ primary: 0, canary: 100, mirrored: false });
      this.iterations++;
      return;
    }
    this.copyCanaryToPrimary();
  }

  private confirmPromotion(): boolean {
    if (this.hooksPass('confirm-promotion')) return true;
    if (this.phase !== 'WaitingPromotion') this.host.log('WaitingPromotion', 'confirm-promotion gate closed');
    this.setPhase('WaitingPromotion');
    return false;
  }

  /** Promote: the canary spec is copied to the primary, whose Deployment rolls its pods to it. */
  private copyCanaryToPrimary(): void {
    this.primaryNew = this.host.createReplicaSet('new');
    this.primaryProgress = { key: '', at: this.host.now() };
    this.setPhase('Promoting');
    this.enterNamedPhase('promoting');
    this.host.log('Promote', `canary spec copied to the primary: rolling update of ${this.params.replicas} primary replicas`);
  }

  /** handleFailedPromotion: the primary is unhealthy mid-promotion; all traffic to the canary, phase Failed. */
  private failPromotion(): void {
    this.setRoutes({ primary: 0, canary: 100, mirrored: false });
    this.setPhase('Failed');
    this.callHooks('post-rollout');
    this.complete('aborted', 'promotion failed: the primary was not ready past progressDeadlineSeconds');
  }

  private failCheck(problem: string): void {
    this.failedChecks++;
    this.host.log('Halt', `${problem} (failed checks ${this.failedChecks}/${this.params.threshold})`);
  }

  /** runAnalysis: rollout hooks, then each metric; the first failure is the halt's reason, null when all pass. */
  private runAnalysis(now: number): string | null {
    for (const hook of this.params.webhooks) {
      if (hook.type === 'rollout' && !this.hookPasses(hook)) return `rollout webhook ${hook.name} failed`;
    }
    for (const check of this.params.checks) {
      const value = this.measure(check, now);
      if (typeof value === 'string') return `${check.name}: ${value}`;
      const problem = thresholdProblem(value, check.range);
      this.host.log('AnalysisMeasurement', `${check.name}: ${value.toFixed(2)}${problem ? ' (out of range)' : ''}`);
      if (problem !== null) return `${check.name} ${problem}`;
    }
    return null;
  }

  /**
   * A check's value over [now - interval, now): the canary's requests (its mirrored copies while mirrored), as the
   * Prometheus queries of the built-in metrics read the canary workload; a string says why there is no value.
   */
  private measure(check: FlaggerCheck, now: number): number | string {
    const from = Math.max(0, now - check.interval);
    if (check.kind !== 'template') {
      const fields = telemetryFields(this.host.telemetry(this.routes.mirrored ? 'shadow' : 'new', from, now));
      if (check.kind === 'request-success-rate') {
        return fields.errorRate === undefined ? 'no values found (no canary requests)' : 100 * (1 - fields.errorRate);
      }
      return fields.e2eP99Ms ?? 'no values found (no canary requests)';
    }
    const scope: Record<string, TelemetryFields> = {};
    for (const source of ['new', 'old', 'all', 'shadow'] as const) {
      scope[source] = telemetryFields(this.host.telemetry(source, from, now));
    }
    try {
      const value = check.query.evaluate(scope);
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value === 'boolean') return value ? 1 : 0;
      return `query gave ${JSON.stringify(value)}, not a number`;
    } catch (err) {
      if (err instanceof ExpressionError) return `query failed: ${err.message}`;
      throw err;
    }
  }

  /**
   * isDeploymentReady for the primary: all its replicas updated to its current spec, no old ones left, and enough
   * of them available; its rolling update making no progress for progressDeadlineSeconds is a deadline.
   */
  private primaryReadiness(now: number): Readiness {
    const { replicas, primaryReadyThreshold, progressDeadlineSeconds } = this.params;
    const current = this.primaryNew ?? this.primary;
    const s = this.host.status(current);
    const old = this.primaryNew ? this.host.status(this.primary).replicas : 0;
    if (s.replicas >= replicas && old === 0 && s.availableReplicas >= Math.floor((s.replicas * primaryReadyThreshold) / 100)) {
      return 'ready';
    }
    const key = `${s.replicas}/${s.availableReplicas}/${old}`;
    if (key !== this.primaryProgress.key) this.primaryProgress = { key, at: now };
    return now - this.primaryProgress.at > progressDeadlineSeconds ? 'deadline' : 'wait';
  }

  /**
   * isDeploymentReady for the canary; its Available condition False (fewer than replicas - maxUnavailable
   * available) for progressDeadlineSeconds since the scale-up is a deadline.
   */
  private canaryReadiness(canary: ReplicaSet, now: number): Readiness {
    const { canaryReplicas, canaryReadyThreshold, progressDeadlineSeconds } = this.params;
    const s = this.host.status(canary);
    if (s.replicas >= canaryReplicas && s.availableReplicas >= Math.floor((s.replicas * canaryReadyThreshold) / 100)) {
      return 'ready';
    }
    const minAvailable =
      canaryReplicas - maxUnavailable({ replicas: canaryReplicas, maxSurge: this.params.maxSurge, maxUnavailable: this.params.maxUnavailable });
    if (s.availableReplicas < minAvailable && now > this.canaryScaledAt + progressDeadlineSeconds) return 'deadline';
    return 'wait';
  }

  /** The primary Deployment's own controller: its rolling update once the canary spec has been copied into it. */
  private syncPrimaryDeployment(): boolean {
    if (!this.primaryNew) return false;
    const snapshot = (rs: ReplicaSet): RsSnapshot => ({
      id: rs.id,
      spec: rs.spec,
      available: this.host.status(rs).availableReplicas,
      createdAt: rs.id,
    });
    const { replicas, maxSurge, maxUnavailable: unavailable } = this.params;
    const actions = rollingSyncStep({ replicas, maxSurge, maxUnavailable: unavailable }, snapshot(this.primaryNew), [snapshot(this.primary)]);
    for (const action of actions) {
      const rs = action.type === 'scaleRS' && action.id === this.primary.id ? this.primary : this.primaryNew;
      this.host.setReplicas(rs, action.replicas);
    }
    return actions.length > 0;
  }

  private setRoutes(routes: FlaggerRoutes): void {
    const mirrorChanged = routes.mirrored !== this.routes.mirrored;
    const weightChanged = routes.canary !== this.routes.canary || routes.primary !== this.routes.primary;
    this.routes = routes;
    if (mirrorChanged) {
      const share = this.params.mirrorWeight / 100;
      this.host.setMirror(routes.mirrored ? { version: 'new', share } : null);
      this.host.log('Mirror', routes.mirrored ? `${this.params.mirrorWeight}% of the primary's requests mirrored to the canary` : 'mirror off');
    }
    if (weightChanged) this.host.log('SetWeight', `primary ${routes.primary}%, canary ${routes.canary}%`);
    if (this.phase === 'Progressing' && (mirrorChanged || weightChanged)) {
      this.enterNamedPhase(routes.mirrored ? 'mirror' : `weight ${routes.canary}%`);
    }
    this.applySplit();
  }

  /** The routes as a split over the two versions; rewritten only when it changes. */
  private applySplit(): void {
    const ready = (rs: ReplicaSet | null) => (rs ? this.host.status(rs).readyReplicas : 0);
    const split = this.primaryNew
      ? versionWeights(this.routes, { old: ready(this.primary), new: ready(this.primaryNew) })
      : { old: this.routes.primary, new: this.routes.canary };
    const key = `${split.old}/${split.new}`;
    if (key === this.appliedSplit) return;
    this.appliedSplit = key;
    this.host.setSplit([
      { version: 'old', weight: split.old },
      { version: 'new', weight: split.new },
    ]);
  }

  /** A chart phase, entered once however many runs find the rollout in it. */
  private enterNamedPhase(name: string): void {
    if (this.chartPhase === name) return;
    this.chartPhase = name;
    this.enterPhase(name);
  }

  private setPhase(phase: FlaggerPhase): void {
    this.phase = phase;
  }

  /** Every hook of the type passes (a type without hooks passes). */
  private hooksPass(type: FlaggerWebhookType): boolean {
    for (const hook of this.params.webhooks) {
      if (hook.type === type && !this.hookPasses(hook)) return false;
    }
    return true;
  }

  /** runRollbackHooks: one rollback hook that answers "pass" rolls the canary back. */
  private rollbackHookPasses(): boolean {
    return this.params.webhooks.some((hook) => hook.type === 'rollback' && this.hookPasses(hook));
  }

  /** Calls the hooks of a type whose answers Flagger ignores (post-rollout). */
  private callHooks(type: FlaggerWebhookType): void {
    for (const hook of this.params.webhooks) {
      if (hook.type === type) this.host.log('Webhook', `${type} ${hook.name}: ${this.hookPasses(hook) ? 'passed' : 'failed'}`);
    }
  }

  private hookPasses(hook: FlaggerWebhook): boolean {
    const now = this.host.now();
    const first = this.hookFirstCall.get(hook) ?? now;
    this.hookFirstCall.set(hook, first);
    if (hook.fail) return false;
    if (hook.passAfter === undefined || now >= first + hook.passAfter) return true;
    return false;
  }
}

/** The controller's parameters from the scenario's `strategy.flagger`, every template query compiled and checked. */
export function flaggerParams(spec: FlaggerSpec, replicas: number, path: string): FlaggerParams {
  const a = spec.analysis;
  const checks = a.metrics.map((m): FlaggerCheck => {
    const range = metricRange(m.name, m.thresholdRange, m.threshold);
    if (!m.templateRef) {
      return { name: m.name, kind: m.name as 'request-success-rate' | 'request-duration', interval: m.interval, range };
    }
    const template = spec.metricTemplates[m.templateRef.name];
    const query = compileQuery(template.query, `${path}.metricTemplates.${m.templateRef.name}.query`);
    return { name: m.name, kind: 'template', interval: m.interval, range, query };
  });
  return {
    replicas,
    canaryReplicas: spec.canaryReplicas ?? replicas,
    weights: a,
    interval: analysisInterval(a.interval),
    threshold: a.threshold > 0 ? a.threshold : FLAGGER_DEFAULTS.threshold,
    mirrorWeight: a.mirrorWeight,
    primaryReadyThreshold: a.primaryReadyThreshold,
    canaryReadyThreshold: a.canaryReadyThreshold,
    progressDeadlineSeconds: spec.progressDeadlineSeconds,
    checks,
    webhooks: a.webhooks,
    maxSurge: spec.maxSurge,
    maxUnavailable: spec.maxUnavailable,
  };
}
