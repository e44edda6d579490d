import { resolve } from 'node:path';
import type { RandomStreams } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import { buildDistribution } from '../config/distribution-spec.js';
import { gammaArrivals, poissonArrivals, ScheduledArrivals, type ArrivalProcess } from './arrivals.js';
import { AdapterDraw, TraceAdapters, type AdapterSource } from './adapters.js';
import { ClientLayer, type RequestTarget } from './clients.js';
import type { TrafficConfig } from './config.js';
import { SampledLengths, TraceRowLengths, type LengthSource } from './lengths.js';
import type { OutcomeListener } from './outcome.js';
import { PrefixGroups } from './prefix.js';
import { TraceArrivals, type TraceTokenColumn } from './trace.js';

const PATH = 'spec.traffic';

/**
 * The offered load: arrivals, their token counts and prefix groups, sent through the client layer. It keeps one
 * pending event, the next arrival; the arrival after it is drawn when it fires.
 */
export class TrafficSource {
  readonly client: ClientLayer;
  private readonly arrivals: ArrivalProcess;
  private readonly prompt: LengthSource;
  private readonly output: LengthSource;
  /** The shared-prompt groups of the requests (null: no request shares a prefix). */
  readonly prefix: PrefixGroups | null;
  private readonly adapters: AdapterSource | null;
  private readonly onArrival: number;
  /** `traffic.requests`: the source stops after this many arrivals (Infinity when unbounded). */
  private readonly limit: number;
  private arrived = 0;

  /** `baseDir` resolves relative trace and sample files (the scenario file's folder). */
  constructor(
    private readonly sim: Simulator,
    streams: RandomStreams,
    config: TrafficConfig,
    listener: OutcomeListener,
    baseDir: string,
  ) {
    this.arrivals = buildArrivals(config.arrival, streams, baseDir, config.adapterColumn);
    const lengthsRng = streams.stream('traffic.lengths');
    const trace = this.arrivals instanceof TraceArrivals ? this.arrivals : null;
    const lengths = (key: 'promptTokens' | 'outputTokens', column: TraceTokenColumn, max: number | undefined) => {
      const spec = config[key];
      const path = `${PATH}.${key}`;
      const limit = max ?? Infinity;
      if (spec !== undefined) return new SampledLengths(buildDistribution(spec, baseDir, path), lengthsRng, limit, path);
      // zTraffic requires a distribution unless the arrivals come from a trace.
      return new TraceRowLengths(trace as TraceArrivals, column, limit, path);
    };
    this.prompt = lengths('promptTokens', 'ContextTokens', config.maxPromptTokens);
    this.output = lengths('outputTokens', 'GeneratedTokens', config.maxOutputTokens);
    const prefix = config.prefix;
    this.prefix =
      prefix === undefined
        ? null
        : new PrefixGroups(
            {
              share: prefix.share,
              groups: prefix.groups,
              prefixTokens: buildDistribution(prefix.prefixTokens, baseDir, `${PATH}.prefix.prefixTokens`),
              zipf: prefix.popularity === 'uniform' ? 0 : prefix.popularity.zipf,
            },
            streams.stream('traffic.prefix'),
            `${PATH}.prefix`,
          );
    const { adapters, adapterColumn } = config;
    // zTraffic: a column comes with a trace arrival and the list of names; shares otherwise.
    if (adapters === undefined) this.adapters = null;
    else if (adapterColumn !== undefined) this.adapters = new TraceAdapters(trace as TraceArrivals, adapters, adapterColumn);
    else this.adapters = new AdapterDraw(adapters, streams.stream('traffic.adapters'), `${PATH}.adapters`);
    const client = config.client;
    this.client = new ClientLayer(
      sim,
      streams.stream('traffic.retries'),
      { ttftTimeout: client.ttftTimeout ?? null, timeout: client.timeout ?? null, retries: client.retries ?? null },
      listener,
      `${PATH}.client`,
    );
    this.onArrival = sim.handler(() => this.arrive());
    this.limit = config.requests ?? Infinity;
  }

  /** Connects the clients to the router and schedules the first arrival. */
  start(target: RequestTarget): void {
    this.client.connect(target);
    this.schedule(this.arrivals.next(this.sim.now));
  }

  /**
   * P(an output length exceeds k tokens), or null when lengths are replayed from a trace: each is then known, not
   * drawn, and there is nothing to condition on.
   */
  outputSurvival(): ((k: number) => number) | null {
    const output = this.output;
    return output instanceof SampledLengths ? (k) => output.survival(k) : null;
  }

  describe(): string {
    const prefix = (this.prefix === null ? '' : `; ${this.prefix.describe()}`) + (this.adapters === null ? '' : `; ${this.adapters.describe()}`);
    const cap = this.limit === Infinity ? '' : ` (first ${this.limit} requests)`;
    return `${this.arrivals.describe()}${cap}; prompt ${this.prompt.describe()}; output ${this.output.describe()}${prefix}`;
  }

  private arrive(): void {
    // Lengths first: a trace's row must be read before the next arrival moves the trace on.
    const promptTokens = this.prompt.next();
    const outputTokens = this.output.next();
    const prefix = this.prefix;
    const group = prefix === null ? -1 : prefix.drawGroup();
    const prefixTokens = prefix === null ? 0 : prefix.prefixTokens(group, promptTokens);
    const adapter = this.adapters === null ? -1 : this.adapters.next();
    this.client.arrive(promptTokens, outputTokens, group, prefixTokens, adapter);
    // Stop before drawing the next arrival, so a trace is read no further than the last request it sends.
    if (++this.arrived < this.limit) this.schedule(this.arrivals.next(this.sim.now));
  }

  private schedule(at: number): void {
    if (at !== Infinity) this.sim.at(at, this.onArrival);
  }
}

function buildArrivals(arrival: TrafficConfig['arrival'], streams: RandomStreams, baseDir: string, adapterColumn: string | undefined): ArrivalProcess {
  const path = `${PATH}.arrival`;
  const rng = streams.stream('traffic.arrivals');
  const { poisson, gamma, schedule, trace } = arrival;
  if (poisson !== undefined) return poissonArrivals(poisson.rate, rng, `${path}.poisson.rate`);
  if (gamma !== undefined) return gammaArrivals(gamma.rate, gamma.cv, rng, `${path}.gamma`);
  if (schedule !== undefined) {
    return new ScheduledArrivals(schedule.points, schedule.repeat ?? null, rng, `${path}.schedule`);
  }
  // zArrival guarantees exactly one kind.
  const { file, ...options } = trace as NonNullable<typeof trace>;
  return new TraceArrivals(resolve(baseDir, file), { ...options, adapterColumn }, `${path}.trace`);
}
