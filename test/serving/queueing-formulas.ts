/**
 * Exact results for simple stations (queueing.md), for validating the queue station and the engine.
 * Notation: arrival rate λ, service rate μ per server, c servers, offered load a = λ/μ, ρ = a/c.
 */

/** Erlang C, P(wait > 0) in M/M/c, through the Erlang B recursion (no factorials: no overflow at large c). */
export function erlangC(c: number, offeredLoad: number): number {
  const rho = offeredLoad / c;
  if (!(rho < 1)) throw new Error(`M/M/${c} with a = ${offeredLoad} is unstable`);
  let b = 1;
  for (let k = 1; k <= c; k++) b = (offeredLoad * b) / (k + offeredLoad * b);
  return b / (1 - rho * (1 - b));
}

/** Mean wait in queue of M/M/c: C(c, a) / (cμ − λ). */
export function mmcMeanWait(lambda: number, mu: number, c: number): number {
  return erlangC(c, lambda / mu) / (c * mu - lambda);
}

/** Pollaczek–Khinchine mean wait in queue of M/G/1: λ E[S²] / (2 (1 − ρ)). */
export function pollaczekKhinchineWait(lambda: number, meanService: number, secondMoment: number): number {
  const rho = lambda * meanService;
  if (!(rho < 1)) throw new Error(`M/G/1 with ρ = ${rho} is unstable`);
  return (lambda * secondMoment) / (2 * (1 - rho));
}

/** E[S²] of a service time with mean m and coefficient of variation v: m² (1 + v²). */
export function secondMomentFromMeanCv(mean: number, cv: number): number {
  return mean * mean * (1 + cv * cv);
}

/** M/M/1/K: probabilities of n = 0..K in the system (room for K, arrivals beyond it rejected). */
export function mm1kDistribution(lambda: number, mu: number, k: number): number[] {
  const rho = lambda / mu;
  const p: number[] = [];
  for (let n = 0; n <= k; n++) {
    p.push(rho === 1 ? 1 / (k + 1) : ((1 - rho) * rho ** n) / (1 - rho ** (k + 1)));
  }
  return p;
}

/** M/M/1/K: blocking probability P_K, and mean time in system W by Little's law from L = Σ n P_n. */
export function mm1k(lambda: number, mu: number, k: number): { blocking: number; meanInSystem: number; meanSojourn: number } {
  const p = mm1kDistribution(lambda, mu, k);
  const blocking = p[k];
  const meanInSystem = p.reduce((sum, pn, n) => sum + n * pn, 0);
  return { blocking, meanInSystem, meanSojourn: meanInSystem / (lambda * (1 - blocking)) };
}
