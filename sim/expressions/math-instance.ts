/**
 * The mathjs instance expressions run in, made from only the mathjs factories they need: the parser and its
 * node types, the functions and operators safe-eval.ts allows, `equalText` (text comparison), and the
 * expression transforms of those functions, as the full instance has them (`and`/`or` evaluate lazily,
 * `max(list, dim)` counts dimensions from 1).
 *
 * Why not the full instance (issue 21): the first use of its parser builds some sixty functions (units, BigNumber,
 * rounding, ...: optional dependencies it has because the instance has everything), and loading all of mathjs
 * takes a large part of a second. Here a dependency marked optional (the parser's `?Unit`) is left out unless a
 * chosen function needs it.
 *
 * Node cannot load this module quickly: importing from 'mathjs' loads its whole ES module build (over a thousand
 * files, above a second). The build (rolldown.config.mjs) bundles it with just these factories into one file,
 * `dist/sim/expressions/math-instance.cjs`, which hardened-math.ts requires on first use.
 */
import {
  absDependencies,
  addDependencies,
  andDependencies,
  andTransformDependencies,
  ceilDependencies,
  create,
  divideDependencies,
  equalDependencies,
  equalTextDependencies,
  expDependencies,
  floorDependencies,
  isNaNDependencies,
  largerDependencies,
  largerEqDependencies,
  log10Dependencies,
  log2Dependencies,
  logDependencies,
  maxDependencies,
  maxTransformDependencies,
  meanDependencies,
  meanTransformDependencies,
  medianDependencies,
  minDependencies,
  minTransformDependencies,
  modDependencies,
  multiplyDependencies,
  notDependencies,
  orDependencies,
  orTransformDependencies,
  parseDependencies,
  powDependencies,
  prodDependencies,
  quantileSeqDependencies,
  quantileSeqTransformDependencies,
  roundDependencies,
  signDependencies,
  smallerDependencies,
  smallerEqDependencies,
  sqrtDependencies,
  stdDependencies,
  stdTransformDependencies,
  subtractDependencies,
  sumDependencies,
  sumTransformDependencies,
  unaryMinusDependencies,
  unaryPlusDependencies,
  unequalDependencies,
  varianceDependencies,
  varianceTransformDependencies,
  xorDependencies,
  type ConfigOptions,
  type FactoryFunctionMap,
  type MathJsInstance,
} from 'mathjs';

declare module 'mathjs' {
  /** Exported by mathjs, missing from its type declarations. */
  const quantileSeqTransformDependencies: FactoryFunctionMap;
}

/** A factory as mathjs' `factory()` makes it: the names it needs (`?Unit`: optional) and whether it is a transform. */
interface Factory {
  (scope: object): unknown;
  fn: string;
  dependencies: readonly string[];
  meta?: { isTransformFunction?: boolean };
}

/**
 * The factories each root (a mathjs `<name>Dependencies` object) makes, with the factories they need, leaving out
 * optional dependencies: the roots' objects name those too, and `create` would build every one it is given.
 */
function requiredFactories(roots: readonly FactoryFunctionMap[]): FactoryFunctionMap {
  const byName = new Map<string, Factory>();
  // The objects nest and share (every one holds `typedDependencies`): each is read once.
  const seen = new Set<FactoryFunctionMap>();
  const collect = (map: FactoryFunctionMap): void => {
    if (seen.has(map)) return;
    seen.add(map);
    for (const value of Object.values(map)) {
      if (typeof value !== 'function') collect(value);
      // A dependency names a function, never its transform.
      else if (!(value as Factory).meta?.isTransformFunction) byName.set((value as Factory).fn, value as Factory);
    }
  };
  roots.forEach(collect);
  const chosen = new Map<string, Factory>();
  const choose = (factory: Factory): void => {
    const key = factory.meta?.isTransformFunction ? `${factory.fn}.transform` : factory.fn;
    if (chosen.has(key)) return;
    chosen.set(key, factory);
    for (const name of factory.dependencies) {
      const dependency = name.startsWith('?') ? undefined : byName.get(name);
      if (dependency !== undefined) choose(dependency);
    }
  };
  // Each root holds one factory of its own (`createAdd`) beside the objects of its dependencies.
  for (const root of roots) choose(Object.values(root).find((value) => typeof value === 'function') as Factory);
  return Object.fromEntries(chosen) as FactoryFunctionMap;
}

export function createExpressionMath(config: ConfigOptions): MathJsInstance {
  return create(
    requiredFactories([
      parseDependencies,
      equalTextDependencies,
      // functions
      absDependencies,
      ceilDependencies,
      floorDependencies,
      roundDependencies,
      signDependencies,
      sqrtDependencies,
      expDependencies,
      logDependencies,
      log10Dependencies,
      log2Dependencies,
      powDependencies,
      modDependencies,
      minDependencies,
      maxDependencies,
      sumDependencies,
      prodDependencies,
      meanDependencies,
      medianDependencies,
      stdDependencies,
      varianceDependencies,
      quantileSeqDependencies,
      isNaNDependencies,
      // operators
      addDependencies,
      subtractDependencies,
      multiplyDependencies,
      divideDependencies,
      unaryMinusDependencies,
      unaryPlusDependencies,
      andDependencies,
      orDependencies,
      notDependencies,
      xorDependencies,
      equalDependencies,
      unequalDependencies,
      smallerDependencies,
      smallerEqDependencies,
      largerDependencies,
      largerEqDependencies,
      // the expression parser's versions of the functions above that have one
      andTransformDependencies,
      orTransformDependencies,
      minTransformDependencies,
      maxTransformDependencies,
      sumTransformDependencies,
      meanTransformDependencies,
      stdTransformDependencies,
      varianceTransformDependencies,
      quantileSeqTransformDependencies,
    ]),
    config,
  );
}
