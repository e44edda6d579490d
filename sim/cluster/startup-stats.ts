import type { StartupSummary } from '../metrics/summary-types.js';
import type { VersionRole } from '../traffic/request.js';

/** Counts as the pipeline and kubelet report; one per cluster. */
export class StartupStats {
  private readonly seconds: number[] = [];
  private firstNew: number | null = null;
  private laterNewSum = 0;
  private laterNewCount = 0;
  peerCopies = 0;
  peerFallbacks = 0;
  compileCacheHits = 0;
  compileColdRuns = 0;

  /** A pod's first Ready, `seconds` after its binding. */
  ready(version: VersionRole, seconds: number): void {
    this.seconds.push(seconds);
    if (version !== 'new') return;
    if (this.firstNew === null) this.firstNew = seconds;
    else {
      this.laterNewSum += seconds;
      this.laterNewCount++;
    }
  }

  summary(): StartupSummary {
    const n = this.seconds.length;
    let sum = 0;
    let max = 0;
    for (const s of this.seconds) {
      sum += s;
      max = Math.max(max, s);
    }
    return {
      podsReady: n,
      timeToReadyMeanSeconds: n > 0 ? sum / n : null,
      timeToReadyMaxSeconds: n > 0 ? max : null,
      firstNewPodSeconds: this.firstNew,
      laterNewPodsMeanSeconds: this.laterNewCount > 0 ? this.laterNewSum / this.laterNewCount : null,
      peerCopies: this.peerCopies,
      peerFallbacks: this.peerFallbacks,
      compileCacheHits: this.compileCacheHits,
      compileColdRuns: this.compileColdRuns,
    };
  }
}
