import { InputError } from '../errors.js';
import type { AdapterRewriteRule } from '../routing/adapter-rewrite.js';
import type { AnalysisMetric } from './analysis-schema.js';
import { AnalysisRunner } from './analysis-runner.js';
import { ControllerBase } from './controller.js';
import { StepGate } from './step-gate.js';
import type { RolloutHost } from './host.js';
import type { CanaryStep, RolloutSpec, WeightStep } from './strategy-schema.js';

export interface AdapterRewriteParams {
  readonly steps: readonly WeightStep[];
  /** Metrics of each analysis step, by step index, and of the background analysis. */
  readonly stepAnalyses: ReadonlyMap<number, AnalysisMetric[]>;
  readonly backgroundAnalysis: AnalysisMetric[] | null;
}

/**
 * An adapter rolled out inside one InferencePool (strategy `adapterRewrite`, docs/lora.md). The gateway's
 * rewrite weight follows the steps, as a traffic-routed canary's weight does, but nothing is scaled: the pods
 * that serve the old adapter load the new one on demand. A setWeight step is done once the weight is written;
 * a pause waits its duration (or a promotion); an analysis step runs its metrics on the per-version telemetry
 * ('new' = requests served by the new adapter). After the last step the weight goes to 100 and the rollout is
 * complete. An abort (an operator's, or a failed analysis) sets the weight back to 0.
 */
export class AdapterRewriteController extends ControllerBase {
  readonly strategy = 'adapterRewrite';
  private stepIndex = 0;
  private weight = 0;
  private readonly gate: StepGate;
  private background: AnalysisRunner | null = null;

  constructor(
    host: RolloutHost,
    private readonly params: AdapterRewriteParams,
  ) {
    super(host);
    this.gate = new StepGate(host);
  }

  start(): void {
    this.state.startedAt = this.host.now();
    if (this.params.backgroundAnalysis) this.background = new AnalysisRunner(this.host, 'background', this.params.backgroundAnalysis);
    this.host.log('RolloutStarted', `in-pool adapter rewrite, ${this.params.steps.length} steps`);
    this.enterStepPhase();
  }

  override promote(): void {
    if (!this.gate.promote()) return;
    this.host.log('Promoted', `operator promoted step ${this.stepIndex}`);
    this.host.wakeAt(this.host.now());
  }

  protected override onAbort(): void {
    this.gate.terminate();
    this.background?.terminate();
  }

  sync(): boolean {
    if (this.state.startedAt === null || this.state.finishedAt !== null) return false;
    if (this.abortedAt !== null) {
      if (this.setWeight(0)) return true;
      this.completeAbort();
      return true;
    }
    if (this.background) {
      this.background.tick();
      const phase = this.background.phase;
      if (phase === 'Failed' || phase === 'Error') {
        this.abort(`background analysis ${phase}`, true);
        return true;
      }
    }
    const step = this.params.steps[this.stepIndex];
    if (step === undefined) {
      if (this.setWeight(100)) return true;
      this.complete('completed', undefined);
      return true;
    }
    if ('setWeight' in step) {
      if (this.setWeight(step.setWeight)) return true;
    } else if (!this.stepDone(step)) {
      return false;
    }
    this.stepIndex++;
    this.gate.next();
    this.enterStepPhase();
    return true;
  }

  /** Writes the weight if it differs; true when it wrote. */
  private setWeight(weight: number): boolean {
    if (this.weight === weight) return false;
    this.weight = weight;
    this.host.setRewriteWeight(weight);
    this.host.log('SetWeight', `rewrite weight → ${weight}% to the new adapter`);
    return true;
  }

  private stepDone(step: Exclude<WeightStep, { setWeight: number }>): boolean {
    const now = this.host.now();
    const verdict =
      'pause' in step ? this.gate.pause(now, step.pause.duration) : this.gate.analyse(now, this.stepIndex, this.params.stepAnalyses.get(this.stepIndex) ?? []);
    if (verdict.kind === 'abort') this.abort(verdict.reason, true);
    return verdict.kind === 'done';
  }

  private enterStepPhase(): void {
    const step = this.params.steps[this.stepIndex];
    const label = step === undefined ? 'promotion' : 'setWeight' in step ? `rewrite ${step.setWeight}%` : 'pause' in step ? 'pause' : 'analysis';
    this.enterPhase(label);
    if (step !== undefined) this.host.log('RewriteStep', `step ${this.stepIndex}: ${label}`);
  }
}

/**
 * The canary steps of a two-pool split: the new pool at its full size first (a setCanaryScale that holds for the
 * whole rollout), then the route's weights. Step i of the split is step i + 1 of the canary.
 */
export function inferencePoolCanarySteps(steps: readonly WeightStep[], replicas: number): CanaryStep[] {
  return [{ setCanaryScale: { replicas } }, ...steps];
}

/** The gateway's adapter rule of an adapter rollout (ids from the run's adapter names), or null for other strategies. */
export function adapterRewriteRule(rollout: RolloutSpec | undefined, names: readonly string[]): AdapterRewriteRule | null {
  if (rollout === undefined) return null;
  const s = rollout.strategy;
  const base = 'spec.rollout.strategy';
  if ('adapterRewrite' in s) {
    const { from, to } = s.adapterRewrite;
    return { from: adapterId(names, from, `${base}.adapterRewrite.from`), to: adapterId(names, to, `${base}.adapterRewrite.to`), scope: 'in-pool' };
  }
  if ('inferencePoolSplit' in s && s.inferencePoolSplit.from !== undefined && s.inferencePoolSplit.to !== undefined) {
    const { from, to } = s.inferencePoolSplit;
    return { from: adapterId(names, from, `${base}.inferencePoolSplit.from`), to: adapterId(names, to, `${base}.inferencePoolSplit.to`), scope: 'new-pool' };
  }
  return null;
}

/** The adapters a rollout serves that clients may not name (the new versions): they need ids too. */
export function rolloutAdapters(rollout: RolloutSpec | undefined): string[] {
  if (rollout === undefined) return [];
  const s = rollout.strategy;
  if ('adapterRewrite' in s) return [s.adapterRewrite.to];
  if ('inferencePoolSplit' in s && s.inferencePoolSplit.to !== undefined) return [s.inferencePoolSplit.to];
  return [];
}

function adapterId(names: readonly string[], name: string, path: string): number {
  const id = names.indexOf(name);
  if (id < 0) throw new InputError({ problem: `adapter "${name}" is not one clients ask for`, expected: `one of traffic.adapters: ${names.join(', ') || '(none)'}` }, path);
  return id;
}
