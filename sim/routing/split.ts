import { InputError } from '../errors.js';
import type { VersionRole } from '../traffic/request.js';

export interface SplitWeight {
  version: VersionRole;
  weight: number;
}

/**
 * How traffic is divided between the versions: weights (traffic routing: a canary's setWeight, or 100% of one
 * version for a blue-green active service), or 'pods' (no traffic routing: one service over the pods of both
 * versions, so each version's share follows its pod count, as in a plain Deployment rolling update).
 */
export type Split = readonly SplitWeight[] | 'pods';

/** The service a request is sent to: one version's pods, or all pods. */
export type Service = VersionRole | 'pods';

export class VersionSplit {
  private versions: VersionRole[] = [];
  /** Cumulative weights, normalised to end at 1. */
  private cumulative: number[] = [];
  private pods = false;

  constructor(initial: Split) {
    this.set(initial);
  }

  set(split: Split, path = 'split'): void {
    if (split === 'pods') {
      this.pods = true;
      return;
    }
    const seen = new Set<VersionRole>();
    let total = 0;
    split.forEach((w, i) => {
      if (seen.has(w.version)) throw new InputError(`version "${w.version}" appears twice`, `${path}[${i}].version`);
      seen.add(w.version);
      if (!(w.weight >= 0) || !Number.isFinite(w.weight)) {
        throw new InputError({ expected: 'a weight of 0 or more', got: String(w.weight) }, `${path}[${i}].weight`);
      }
      total += w.weight;
    });
    if (!(total > 0)) throw new InputError('expected at least one version with a weight above 0', path);
    let sum = 0;
    this.versions = split.map((w) => w.version);
    this.cumulative = split.map((w) => (sum += w.weight) / total);
    this.pods = false;
  }

  /** One service over the pods of both versions. */
  get isPods(): boolean {
    return this.pods;
  }

  /** The service for a uniform draw u in [0, 1). One draw per request whatever the split, so runs stay aligned. */
  choose(u: number): Service {
    if (this.pods) return 'pods';
    const c = this.cumulative;
    for (let i = 0; i < c.length - 1; i++) if (u < c[i]) return this.versions[i];
    return this.versions[c.length - 1];
  }
}
