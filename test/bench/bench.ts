/**
 * `npm run bench`: one JSON document on stdout with the engine's hold-model throughput against a bare heap loop,
 * the cost of reference scenario R1, how that cost grows with traffic and duration, a 200-run sweep on all
 * cores and the 70B plan (plan.seconds, plan.simsPerSecond). `--save` also writes it to test/bench/results/. docs/performance.md says what the figures mean and
 * records them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { openRunPool, runMany } from '../../sim/batch/run-many.js';
import { plan } from '../../sim/plan/plan.js';
import { planTiming, timingLine } from '../../sim/plan/timing.js';
import type { RunSpec } from '../../sim/batch/run-spec.js';
import { measureCliStart, type CliStart } from './cli-start.js';
import { measureHold, median, type HoldFigures } from './hold.js';
import { CHILD_FLAG, childMain, runInChild, type ScenarioCost } from './run-child.js';

const SCENARIOS = fileURLToPath(new URL('../../../scenarios/bench/', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../../test/bench/results/', import.meta.url));
const R1 = `${SCENARIOS}r1.yaml`;
/** The 70B plan of docs/plan.md, planned once on all cores (about half a minute on two). */
const PLAN_70B = fileURLToPath(new URL('../../../scenarios/plan/llama-70b-plan.yaml', import.meta.url));
const SWEEP = `${SCENARIOS}sweep.yaml`;

const HOLD_PENDING = [100, 10_000, 100_000];
const HOLD = { warmupEvents: 1_000_000, measuredEvents: 3_000_000, repeats: 3 };
/**
 * Scenario runs per figure (median). Five, not three: now and then V8's concurrent compiler leaves a hot function
 * with worse code for a whole run (30-60% slower; docs/performance.md), and a median of three is too often one
 * of those.
 */
const SCENARIO_REPEATS = 5;
/**
 * R1 for a week (84 × 2 h): one run, which takes minutes. Targets: memory flat in the run's length (peak RSS at
 * most 1.3 × R1's) and wall time at most 90 × R1's.
 */
const WEEK = ['spec.duration=168h'];
const WEEK_TARGETS = { wallRatio: 90, peakRssRatio: 1.3 };
const SWEEP_SURGES = ['1', '25%', '50%', '100%'];
const SWEEP_SEEDS = 50;

/**
 * "k× the traffic" keeps the per-replica load of R1: k× the arrival rate on k× the replicas and nodes, so the
 * simulated work (requests, engine steps) is k× R1's. Traffic alone would overload the fleet and measure a
 * different system.
 */
const trafficTimes = (k: number): string[] => [
  `spec.traffic.arrival.poisson.rate=${40 * k}/s`,
  `spec.deployment.replicas=${16 * k}`,
  `spec.cluster.nodePools[0].nodes=${10 * k}`,
];

/** R1 for a week against R1, with its targets and whether it meets them. */
interface WeekFigures {
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  wallRatio: number;
  cpuRatio: number;
  peakRssRatio: number;
  targets: typeof WEEK_TARGETS;
  pass: { wallRatio: boolean; peakRssRatio: boolean };
}

interface BenchDocument {
  engine: HoldFigures[];
  r1: { wallSeconds: number; requests: number; requestsPerWallSecond: number; events: number; peakRssMb: number };
  growth: { traffic2x: number; traffic4x: number; duration4x: number; duration84x: WeekFigures };
  sweep: { runs: number; wallSeconds: number };
  /** `rollout-sim plan scenarios/plan/llama-70b-plan.yaml` with its defaults: simulations started, wall time. */
  plan: { runs: number; seconds: number; simsPerSecond: number };
  /**
   * Medians of 10 fresh processes of the compiled CLI: `--help`, and `validate scenarios/llama-70b-rolling.yaml`;
   * a bare `node` beside them and the load average then. Measured first, before the bench loads the machine.
   */
  cli: CliStart;
  machine: { cpu: string; cores: number; node: string; loadAverage1m: number };
}

async function main(): Promise<void> {
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    node: process.version,
    // The bench shares the machine: a high load average explains noisy wall times.
    loadAverage1m: round(loadavg()[0], 2),
  };
  // First: right after the sweep every core is busy and the start-up times would measure the sweep's tail.
  const start = measureCliStart();
  process.stderr.write(
    `cli: --help ${start.helpSeconds.toFixed(3)} s (target ${start.targets.helpSeconds}), validate ${start.validateSeconds.toFixed(3)} s (target ${start.targets.validateSeconds}), bare node ${start.nodeSeconds.toFixed(3)} s (load ${start.loadAverage1m})\n`,
  );
  const cli = { ...start, helpSeconds: round(start.helpSeconds, 3), validateSeconds: round(start.validateSeconds, 3), nodeSeconds: round(start.nodeSeconds, 3) };
  const engine = HOLD_PENDING.map((n) => {
    const figures = roundHold(measureHold(n, HOLD));
    process.stderr.write(`hold N=${n}: ${JSON.stringify(figures)}\n`);
    return figures;
  });
  const r1 = medianCost('r1', R1, []);
  const wallOf = (label: string, overrides: string[]): number => medianCost(label, R1, overrides).wallSeconds;
  const growth = {
    traffic2x: round(wallOf('traffic 2x', trafficTimes(2)) / r1.wallSeconds, 2),
    traffic4x: round(wallOf('traffic 4x', trafficTimes(4)) / r1.wallSeconds, 2),
    duration4x: round(wallOf('duration 4x', ['spec.duration=8h']) / r1.wallSeconds, 2),
    duration84x: weekFigures(r1, costOf('duration 84x', R1, WEEK)),
  };
  const sweep = await measureSweep();
  const planFigures = await measurePlan();
  const doc: BenchDocument = {
    engine,
    r1: {
      wallSeconds: round(r1.wallSeconds, 3),
      requests: r1.requests,
      requestsPerWallSecond: Math.round(r1.requests / r1.wallSeconds),
      events: r1.events,
      peakRssMb: round(r1.peakRssMb, 1),
    },
    growth,
    sweep,
    plan: planFigures,
    cli,
    machine,
  };
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  process.stdout.write(text);
  if (process.argv.includes('--save')) {
    mkdirSync(RESULTS, { recursive: true });
    const file = `${RESULTS}${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
    writeFileSync(file, text);
    process.stderr.write(`saved ${file}\n`);
  }
}

/** The run with the median wall time of SCENARIO_REPEATS fresh processes (its own RSS and counts). */
function medianCost(label: string, file: string, overrides: string[]): ScenarioCost {
  const runs: ScenarioCost[] = [];
  for (let i = 0; i < SCENARIO_REPEATS; i++) runs.push(costOf(`${label} ${i + 1}/${SCENARIO_REPEATS}`, file, overrides));
  const wall = median(runs.map((r) => r.wallSeconds));
  return runs.find((r) => r.wallSeconds === wall) ?? runs[0];
}

/** One run in a fresh process. */
function costOf(label: string, file: string, overrides: string[]): ScenarioCost {
  const cost = runInChild(file, overrides);
  process.stderr.write(
    `${label}: ${cost.wallSeconds.toFixed(2)} s wall, ${cost.cpuSeconds.toFixed(2)} s CPU, ` +
      `${cost.events} events, ${cost.peakRssMb.toFixed(0)} MB peak RSS\n`,
  );
  return cost;
}

function weekFigures(r1: ScenarioCost, week: ScenarioCost): WeekFigures {
  const wallRatio = round(week.wallSeconds / r1.wallSeconds, 2);
  const peakRssRatio = round(week.peakRssMb / r1.peakRssMb, 3);
  return {
    wallSeconds: round(week.wallSeconds, 1),
    cpuSeconds: round(week.cpuSeconds, 1),
    peakRssMb: round(week.peakRssMb, 1),
    wallRatio,
    cpuRatio: round(week.cpuSeconds / r1.cpuSeconds, 2),
    peakRssRatio,
    targets: WEEK_TARGETS,
    pass: { wallRatio: wallRatio <= WEEK_TARGETS.wallRatio, peakRssRatio: peakRssRatio <= WEEK_TARGETS.peakRssRatio },
  };
}

async function measureSweep(): Promise<BenchDocument['sweep']> {
  const specs: RunSpec[] = [];
  for (const surge of SWEEP_SURGES) {
    for (let seed = 1; seed <= SWEEP_SEEDS; seed++) {
      specs.push({ file: SWEEP, overrides: [`spec.rollout.strategy.rollingUpdate.maxSurge=${surge}`], seed });
    }
  }
  const start = performance.now();
  const outcomes = await runMany(specs);
  const wallSeconds = (performance.now() - start) / 1000;
  process.stderr.write(`sweep: ${specs.length} runs in ${wallSeconds.toFixed(1)} s\n`);
  const failed = outcomes.filter((o) => o.summary === null);
  if (failed.length > 0) throw new Error(`sweep: ${failed.length} runs failed, e.g. ${failed[0].error}`);
  return { runs: outcomes.length, wallSeconds: round(wallSeconds, 2) };
}

async function measurePlan(): Promise<BenchDocument['plan']> {
  const pool = openRunPool();
  const start = performance.now();
  try {
    await plan({ file: PLAN_70B, pool, preflight: true });
  } finally {
    await pool.close();
  }
  const timing = planTiming(pool.runs, (performance.now() - start) / 1000, pool.threads);
  process.stderr.write(`plan: ${timingLine(timing)}\n`);
  return { runs: timing.runs, seconds: timing.wallSeconds, simsPerSecond: timing.simsPerSecond };
}

function roundHold(h: HoldFigures): HoldFigures {
  return {
    pending: h.pending,
    eventsPerSecond: Math.round(h.eventsPerSecond),
    ceilingEventsPerSecond: Math.round(h.ceilingEventsPerSecond),
    ratio: round(h.ratio, 3),
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

const childArg = process.argv.indexOf(CHILD_FLAG);
if (childArg >= 0) childMain(process.argv[childArg + 1]);
else await main();
