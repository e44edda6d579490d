import { InputError } from '../errors.js';
import type { Rng } from '../engine/random.js';
import type { Request, VersionRole } from '../traffic/request.js';

/**
 * How the gateway maps the adapter a client names to the adapter that serves it, during an adapter rollout
 * (docs/lora.md):
 * - `in-pool`: the Inference Extension's weighted model rewrite (InferenceModelRewrite, or an InferenceModel's
 *   targetModels): a request for `from` is served by `to` with probability weight/100, on the same pods. No
 *   second fleet: both versions are adapters of one base model in one InferencePool.
 * - `new-pool`: two InferencePools behind an HTTPRoute's weighted backendRefs: the pool of the new version
 *   serves `from` requests with `to`; the route's weights are the version split.
 * Requests served by `to` carry the version label 'new' (the old fleet's pods serve them in-pool), so the
 * per-version telemetry analyses read is per adapter version.
 */
export interface AdapterRewriteRule {
  readonly from: number;
  readonly to: number;
  readonly scope: 'in-pool' | 'new-pool';
}

export class AdapterRewrite {
  /** Percent of `from` requests rewritten to `to` (in-pool). */
  private weight = 0;

  constructor(
    readonly rule: AdapterRewriteRule,
    private readonly rng: Rng,
  ) {}

  get currentWeight(): number {
    return this.weight;
  }

  setWeight(weight: number): void {
    if (!(weight >= 0 && weight <= 100)) throw new InputError({ expected: 'a rewrite weight between 0 and 100', got: String(weight) }, 'rewrite.weight');
    this.weight = weight;
  }

  /** At the gateway, before a pool is chosen: the in-pool draw (one per request for `from`). */
  onArrival(req: Request): void {
    const rule = this.rule;
    if (rule.scope !== 'in-pool' || req.requestedAdapter !== rule.from) return;
    req.adapter = this.rng.next() * 100 < this.weight ? rule.to : rule.from;
  }

  /** Once the pool (version) is chosen: the new pool's own mapping, and the version label of `to`. */
  onDispatch(req: Request, version: VersionRole): void {
    const rule = this.rule;
    if (rule.scope === 'new-pool' && req.requestedAdapter === rule.from) req.adapter = version === 'new' ? rule.to : rule.from;
    if (req.adapter === rule.to) req.version = 'new';
  }
}
