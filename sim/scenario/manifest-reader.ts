import { InputError } from '../errors.js';
import { formatPath } from '../config/issues.js';

export type Key = string | number;
export type FieldPath = readonly Key[];

/**
 * Reads one Kubernetes object and remembers which fields were read, so that whatever the importer did not
 * model can be listed instead of silently ignored. Errors name the manifest and the field.
 */
export class ManifestReader {
  private readonly read = new Set<string>();
  /** Every ancestor of a read field: a partly read object is walked into, not reported whole. */
  private readonly partlyRead = new Set<string>();

  /** `where` prefixes errors and warnings, e.g. `spec.deployment.manifest (vllm.yaml)`. */
  constructor(
    private readonly doc: Record<string, unknown>,
    readonly where: string,
  ) {}

  /** The value at `path`, marked as modelled. */
  take(path: FieldPath): unknown {
    this.markRead(path);
    return this.peek(path);
  }

  /** The value at `path`, not marked: for looking before deciding what the field means. */
  peek(path: FieldPath): unknown {
    let cur: unknown = this.doc;
    for (const key of path) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<Key, unknown>)[key];
    }
    return cur;
  }

  /** Marks fields that carry no behaviour (names, labels, selectors) so they are not reported. */
  markRead(path: FieldPath): void {
    this.read.add(formatPath(path));
    for (let i = 0; i < path.length; i++) this.partlyRead.add(formatPath(path.slice(0, i)));
  }

  fail(path: FieldPath, problem: string): never {
    throw new InputError(problem, this.field(path));
  }

  /** `where: spec.replicas`, for messages. */
  field(path: FieldPath): string {
    return `${this.where}: ${formatPath(path)}`;
  }

  int(path: FieldPath, min: number): number | undefined {
    const v = this.take(path);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(path, `${JSON.stringify(v)} is not an integer; expected a whole number ≥ ${min}`);
    if (v < min) this.fail(path, `${v} is below ${min}; expected a whole number ≥ ${min}`);
    return v;
  }

  bool(path: FieldPath): boolean | undefined {
    const v = this.take(path);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') this.fail(path, `${JSON.stringify(v)} is not a boolean; expected true or false`);
    return v;
  }

  string(path: FieldPath): string | undefined {
    const v = this.take(path);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') this.fail(path, `${JSON.stringify(v)} is not a string`);
    return v;
  }

  /** A mapping (not marked: its fields are read one by one), or undefined when absent. */
  object(path: FieldPath): Record<string, unknown> | undefined {
    const v = this.peek(path);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(path, `${JSON.stringify(v)} is not a mapping`);
    return v as Record<string, unknown>;
  }

  /** A list (not marked), or an empty one when absent. */
  list(path: FieldPath): readonly unknown[] {
    const v = this.peek(path);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(path, `${JSON.stringify(v)} is not a list`);
    return v;
  }

  /** The list of strings at `path` (not marked), or undefined when absent. */
  strings(path: FieldPath): string[] | undefined {
    const v = this.peek(path);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) this.fail(path, `${JSON.stringify(v)} is not a list of strings`);
    return v as string[];
  }

  /** Dotted paths of the fields nobody read, each at the highest level where nothing below was read. */
  unread(): string[] {
    const out: string[] = [];
    const walk = (value: unknown, path: Key[]): void => {
      const name = formatPath(path);
      if (this.read.has(name)) return;
      if (path.length > 0 && !this.partlyRead.has(name)) {
        out.push(name);
        return;
      }
      if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i]));
      else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    };
    walk(this.doc, []);
    return out;
  }
}
