import { buildDistribution } from '../config/distribution-spec.js';
import type { RandomStreams } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import { poissonArrivals, type ArrivalProcess } from '../traffic/arrivals.js';
import type { PreviewTrafficConfig } from '../traffic/config.js';
import { SampledLengths } from '../traffic/lengths.js';
import type { Router } from './router.js';

const PATH = 'spec.rollout.previewTraffic';

/**
 * Test requests to the preview Service while the rollout asks for them (rollout.previewTraffic): Poisson arrivals
 * sent through Router.sendTest to the new version's endpoints. Its own random streams, so switching it on never
 * shifts the live traffic's numbers. One pending event at most; stopping cancels it.
 */
export class PreviewTraffic {
  private readonly arrivals: ArrivalProcess;
  private readonly prompt: SampledLengths;
  private readonly output: SampledLengths;
  private readonly onArrival: number;
  private pending: number | null = null;

  constructor(
    private readonly sim: Simulator,
    streams: RandomStreams,
    config: PreviewTrafficConfig,
    private readonly router: Router,
    baseDir: string,
  ) {
    this.arrivals = poissonArrivals(config.rate, streams.stream('preview.arrivals'), `${PATH}.rate`);
    const lengths = streams.stream('preview.lengths');
    this.prompt = new SampledLengths(buildDistribution(config.promptTokens, baseDir, `${PATH}.promptTokens`), lengths);
    this.output = new SampledLengths(buildDistribution(config.outputTokens, baseDir, `${PATH}.outputTokens`), lengths);
    this.onArrival = sim.handler(() => this.arrive());
  }

  setRunning(on: boolean): void {
    if (on === (this.pending !== null)) return;
    if (on) {
      this.schedule();
    } else {
      this.sim.cancel(this.pending as number);
      this.pending = null;
    }
  }

  private arrive(): void {
    this.router.sendTest(this.prompt.next(), this.output.next(), 'new');
    this.schedule();
  }

  private schedule(): void {
    this.pending = this.sim.at(this.arrivals.next(this.sim.now), this.onArrival);
  }
}
