/**
 * Nelder–Mead minimisation (standard coefficients: reflection 1, expansion 2, contraction ½, shrink ½). The
 * objective is a simulation: no gradients, a few dozen evaluations. Stops after `maxEvaluations` or when the
 * simplex's values agree to `tolerance`.
 */
export interface Minimum {
  readonly x: readonly number[];
  readonly value: number;
  readonly evaluations: number;
}

export function nelderMead(f: (x: readonly number[]) => number, start: readonly number[], step: number, maxEvaluations: number, tolerance = 1e-7): Minimum {
  const d = start.length;
  let evaluations = 0;
  const evaluate = (x: number[]) => {
    evaluations++;
    return f(x);
  };
  const points: number[][] = [start.slice()];
  for (let i = 0; i < d; i++) {
    const p = start.slice();
    p[i] += step;
    points.push(p);
  }
  let values = points.map(evaluate);
  const combine = (a: number[], b: number[], t: number) => a.map((ai, i) => ai + t * (b[i] - ai));
  while (evaluations < maxEvaluations) {
    const order = values.map((_, i) => i).sort((i, j) => values[i] - values[j]);
    const sorted = order.map((i) => points[i]);
    values = order.map((i) => values[i]);
    points.splice(0, points.length, ...sorted);
    if (values[d] - values[0] <= tolerance * (Math.abs(values[0]) + tolerance)) break;
    const centroid = new Array<number>(d).fill(0);
    for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) centroid[k] += points[i][k] / d;
    const worst = points[d];
    const reflected = combine(centroid, worst, -1);
    const fr = evaluate(reflected);
    if (fr < values[0]) {
      const expanded = combine(centroid, worst, -2);
      const fe = evaluate(expanded);
      [points[d], values[d]] = fe < fr ? [expanded, fe] : [reflected, fr];
    } else if (fr < values[d - 1]) {
      [points[d], values[d]] = [reflected, fr];
    } else {
      const contracted = fr < values[d] ? combine(centroid, reflected, 0.5) : combine(centroid, worst, 0.5);
      const fc = evaluate(contracted);
      if (fc < Math.min(fr, values[d])) {
        [points[d], values[d]] = [contracted, fc];
      } else {
        for (let i = 1; i <= d; i++) {
          points[i] = combine(points[0], points[i], 0.5);
          values[i] = evaluate(points[i]);
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i <= d; i++) if (values[i] < values[best]) best = i;
  return { x: points[best], value: values[best], evaluations };
}
