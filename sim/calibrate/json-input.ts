import { InputError } from '../errors.js';

/**
 * JSON documents of the calibration inputs, read so that every error names the file, the line and the field.
 * A file may hold one document or several, one after another (vllm bench serve --append-result writes them
 * separated by newlines).
 */
export interface JsonDocument {
  readonly file: string;
  readonly text: string;
  /** Character offset of the document in the file. */
  readonly start: number;
  readonly value: unknown;
}

/** Parses one or more concatenated JSON values; a syntax error is reported at its line. */
export function parseJsonDocuments(file: string, text: string): JsonDocument[] {
  const docs: JsonDocument[] = [];
  let pos = skipSpace(text, 0);
  if (pos >= text.length) throw new InputError({ expected: 'a JSON document', got: 'an empty file' }, `${file} line 1`);
  while (pos < text.length) {
    const end = endOfValue(text, pos);
    const slice = text.slice(pos, end);
    let value: unknown;
    try {
      value = JSON.parse(pythonLiterals(slice));
    } catch (error) {
      const at = /position (\d+)/.exec((error as Error).message);
      const offset = pos + (at === null ? 0 : Number(at[1]));
      throw new InputError({ problem: 'is not valid JSON', got: `"${excerpt(text, offset)}"`, expected: 'a JSON document' }, `${file} line ${lineAt(text, offset)}`);
    }
    docs.push({ file, text, start: pos, value });
    pos = skipSpace(text, end);
  }
  return docs;
}

/** 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Where a field is in the document: its key found key by key along the path; after `list[k]` the (k+1)-th
 * occurrence of the next key (each element of a list of objects names its keys once). On a line of its own
 * per key (pretty-printed JSON) this is the field's line; in one-line JSON, line 1.
 */
export function fieldPath(doc: JsonDocument, field: string): string {
  let pos = doc.start;
  let skip = 0;
  for (const part of field.match(/[^.[\]]+|\[\d+\]/g) ?? []) {
    if (part.startsWith('[')) {
      skip = Number(part.slice(1, -1));
      continue;
    }
    let at = doc.text.indexOf(`"${part}"`, pos);
    for (let k = 0; k < skip && at >= 0; k++) at = doc.text.indexOf(`"${part}"`, at + 1);
    skip = 0;
    if (at < 0) break;
    pos = at;
  }
  return `${doc.file} line ${lineAt(doc.text, pos)}, field ${field}`;
}

/** An InputError at a field of a document. */
export function fieldError(doc: JsonDocument, field: string, expected: string, got: unknown): InputError {
  return new InputError({ expected, got: describe(got) }, fieldPath(doc, field));
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/**
 * Python's json.dump writes the floats nan and inf as bare NaN and Infinity, which JSON.parse refuses (vllm bench
 * serve does for a std of an empty list, or an infinite burstiness): outside strings they become null and the
 * strings "Infinity" / "-Infinity", which the parsers read as such. No newline is added, so the line of a
 * syntax error stays right (its column may move by a few characters).
 */
function pythonLiterals(text: string): string {
  if (!/NaN|Infinity/.test(text)) return text;
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') {
        out += c + (text[i + 1] ?? '');
        i++;
        continue;
      }
      if (c === '"') inString = false;
      out += c;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (text.startsWith('NaN', i)) {
      out += 'null';
      i += 2;
    } else if (text.startsWith('-Infinity', i)) {
      out += '"-Infinity"';
      i += 8;
    } else if (text.startsWith('Infinity', i)) {
      out += '"Infinity"';
      i += 7;
    } else out += c;
  }
  return out;
}

function skipSpace(text: string, pos: number): number {
  while (pos < text.length && /\s/.test(text[pos])) pos++;
  return pos;
}

/** End of the JSON value starting at `pos`: brackets balanced outside strings (a scalar runs to whitespace). */
function endOfValue(text: string, pos: number): number {
  const open = text[pos];
  if (open !== '{' && open !== '[') {
    let end = pos;
    while (end < text.length && !/\s/.test(text[end])) end++;
    return end;
  }
  let depth = 0;
  let inString = false;
  for (let i = pos; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}

function excerpt(text: string, offset: number): string {
  return text.slice(Math.max(0, offset - 10), offset + 10).replace(/\s+/g, ' ');
}
