/**
 * Files of the rollout-sim package found from its root, wherever the calling code runs from: the TypeScript
 * sources (tests), the build (dist/sim/...) or the bundled command-line tool (dist/sim/cli/chunks/...), where a
 * path relative to the module's own file would differ in each.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError } from './errors.js';

let root: string | undefined;

/** The folder of the package's package.json: the nearest above this module (sim/, dist/ and its folders have none). */
function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new InternalError(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  root = dir;
  return root;
}

/** `relativePath` (e.g. `dist/sim/batch/worker.js`) under the package root. */
export function ownPackageFile(relativePath: string): string {
  return join(packageRoot(), relativePath);
}
