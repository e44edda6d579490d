/**
 * How long a plan took: the one part of its output that depends on the machine, so it is kept apart from the
 * plan (which is the same whatever the machine or the thread count).
 */
export interface PlanTiming {
  /** Simulations run, counting those early elimination started but did not need. */
  readonly runs: number;
  readonly wallSeconds: number;
  readonly simsPerSecond: number;
  readonly threads: number;
}

export function planTiming(runs: number, wallSeconds: number, threads: number): PlanTiming {
  const round = (x: number, digits: number): number => Number(x.toFixed(digits));
  return { runs, wallSeconds: round(wallSeconds, 2), simsPerSecond: wallSeconds > 0 ? round(runs / wallSeconds, 2) : 0, threads };
}

/** "125 simulations in 30.8 s (4.06/s) on 2 threads". */
export function timingLine(t: PlanTiming): string {
  return `${t.runs} simulations in ${t.wallSeconds.toFixed(1)} s (${t.simsPerSecond.toFixed(2)}/s) on ${t.threads} thread${t.threads === 1 ? '' : 's'}`;
}
