/**
 * The build's bundles, made after `tsc` (npm run build). Node loads a module graph file by file, and some of ours
 * are large (issue 21: start-up time; docs/performance.md):
 * - dist/sim/expressions/math-instance.cjs: the mathjs instance expressions run in, with only the factories they
 *   use (sim/expressions/math-instance.ts), in one file instead of mathjs' thousand modules. CommonJS, because
 *   hardened-math.ts requires it synchronously on first use.
 */
import { defineConfig } from 'rolldown';

export default defineConfig([
  {
    input: 'sim/expressions/math-instance.ts',
    platform: 'node',
    output: { file: 'dist/sim/expressions/math-instance.cjs', format: 'cjs', minify: true },
  },
]);
