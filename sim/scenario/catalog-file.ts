import { parseDocument } from 'yaml';
import { InputError } from '../errors.js';
import { formatIssues } from '../config/issues.js';
import { INPUT_LIMITS, readInputFile } from '../config/input-file.js';
import type { UserCatalog } from '../serving/catalog/catalog-scope.js';
import { buildUserCatalog, zCatalogFile } from '../serving/catalog/user-catalog.js';

/**
 * Reads a user catalog file (YAML or JSON: `gpus:` and `models:` lists, docs/catalog.md) in bounded memory and
 * checks every entry. `path` is the field or flag that named the file (spec.catalog, --catalog).
 */
export function loadCatalogFile(file: string, path: string): UserCatalog {
  const text = readInputFile(file, { what: 'catalog file', maxBytes: INPUT_LIMITS.manifest, path });
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new InputError(`${file}: YAML syntax: ${doc.errors[0].message.split('\n')[0]}`, path);
  const raw: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  const parsed = zCatalogFile.safeParse(raw);
  if (!parsed.success) throw new InputError(`${file}: ${formatIssues(parsed.error.issues, raw).join('; ')}`, path);
  try {
    return buildUserCatalog(parsed.data, file);
  } catch (error) {
    throw error instanceof InputError ? error.at(path) : error;
  }
}
