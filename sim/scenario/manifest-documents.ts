import { parseAllDocuments } from 'yaml';
import { InputError } from '../errors.js';

const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_ALIAS_COUNT = 100;

/** The Kubernetes objects of a multi-document YAML file; `where` names it in errors. */
export function parseDocuments(text: string, where: string): Record<string, unknown>[] {
  if (text.length > MAX_FILE_BYTES) throw new InputError(`the file is ${text.length} bytes; manifests are limited to ${MAX_FILE_BYTES}`, where);
  const out: Record<string, unknown>[] = [];
  for (const [i, doc] of parseAllDocuments(text, { uniqueKeys: true }).entries()) {
    if (doc.errors.length > 0) throw new InputError(`not valid YAML: ${doc.errors[0].message.split('\n')[0]}`, where);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      throw new InputError(`YAML: ${(err as Error).message} (aliases are limited to ${MAX_ALIAS_COUNT})`, where);
    }
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new InputError(`document ${i + 1} is not a Kubernetes object (a mapping with apiVersion and kind)`, where);
    out.push(value as Record<string, unknown>);
  }
  return out;
}
