/**
 * The build's bundles, made after `tsc` (npm run build). Node loads a module graph file by file, which made the
 * command-line tool slow to start (issue 21; docs/performance.md):
 * - dist/sim/expressions/math-instance.cjs: the mathjs instance expressions run in, with only the factories they
 *   use (sim/expressions/math-instance.ts), in one file instead of mathjs' thousand modules. CommonJS, because
 *   hardened-math.ts requires it synchronously on first use.
 * - dist/sim/cli/main.js: the command-line tool, bundled from tsc's output in place, so the package's bin and
 *   every `node dist/sim/cli/main.js` stay as they are; each command's code (and what only it uses) is a chunk in
 *   dist/sim/cli/chunks/, loaded when the command runs. The library (dist/sim/index.js) and the batch worker
 *   (dist/sim/batch/worker.js, which piscina loads by path) stay tsc's modules. `npm run build` runs tsc first:
 *   bundling a bundle again is not supported. Left outside: piscina (it starts worker threads from its own files)
 *   and vega, vega-lite (megabytes, loaded only to draw SVG charts).
 */
import { rmSync } from 'node:fs';
import { defineConfig } from 'rolldown';

const CLI_CHUNKS = 'dist/sim/cli/chunks';

export default defineConfig([
  {
    input: 'sim/expressions/math-instance.ts',
    platform: 'node',
    output: { file: 'dist/sim/expressions/math-instance.cjs', format: 'cjs', minify: true },
  },
  {
    input: 'dist/sim/cli/main.js',
    platform: 'node',
    external: ['piscina', 'vega', 'vega-lite'],
    // Chunks of an earlier build would stay beside the new ones.
    plugins: [{ name: 'clean-cli-chunks', buildStart: () => rmSync(CLI_CHUNKS, { recursive: true, force: true }) }],
    output: {
      dir: 'dist/sim/cli',
      entryFileNames: 'main.js',
      chunkFileNames: 'chunks/[name]-[hash].js',
      format: 'esm',
      // Minifying saves no measurable start-up time and would leave stack traces (ROLLOUT_SIM_DEBUG) unreadable.
    },
  },
]);
