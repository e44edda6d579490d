import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The read-only reference data lives beside the repository (../shared), not inside it: CI clones the repo
 * elsewhere with a copy of shared/ next to it, so resolve it from the repo root, never by absolute path.
 */
const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

export function sharedData(relative: string): string {
  return resolve(REPO_ROOT, '../shared/data', relative);
}
