import { resolve } from 'node:path';
import { z } from 'zod';
import {
  constant,
  empirical,
  exponential,
  gammaFromMeanCv,
  lognormalFromMeanCv,
  lognormalFromPercentiles,
  normal,
  uniform,
  type Distribution,
} from '../engine/distributions.js';
import { InputError } from '../errors.js';
import { missingOr } from './zod-units.js';
import { INPUT_LIMITS, readInputFile } from './input-file.js';

/** A distribution as the scenario wrote it, values already in base units; JSON-serialisable. */
export type DistributionSpec =
  | { kind: 'constant'; value: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'exponential'; mean: number }
  | { kind: 'normal'; mean: number; sd: number; min?: number; max?: number }
  | { kind: 'lognormalPercentiles'; p50: number; p90: number }
  | { kind: 'lognormalMeanCv'; mean: number; cv: number }
  | { kind: 'gamma'; mean: number; cv: number }
  | { kind: 'empiricalSamples'; samples: number[] }
  /** Cells are plain numbers in the base unit; `nonNegative` when the value schema rejects negatives. */
  | { kind: 'empiricalFile'; file: string; column: string; nonNegative: boolean };

/** One way to write a kind's parameters, told apart from the others by which keys appear. */
interface Variant {
  readonly keys: readonly string[];
  readonly params: z.ZodType<DistributionSpec>;
}

interface Form {
  readonly kind: string;
  readonly variants: readonly Variant[];
}

/**
 * The scenario form of a distribution over values parsed by `valueSchema` (e.g. zDuration): a bare value
 * (a constant) or an object with exactly one key naming the kind, e.g. `{ lognormal: { p50: 2s, p90: 10s } }`.
 * Parameter relations (p90 > p50, max ≥ min) are checked by buildDistribution.
 */
export function zDistribution(valueSchema: z.ZodType<number>): z.ZodType<DistributionSpec> {
  // Values that cannot be negative (durations, sizes, counts) need a lower bound on a normal, and on file cells.
  const nonNegative = !valueSchema.safeParse(-1).success;
  const cv = z
    .number({ error: (issue) => `${missingOr(issue.input)}; write the coefficient of variation (sd / mean) as a number, e.g. 0.5` })
    .meta({ exclusiveMinimum: 0, description: 'coefficient of variation: sd / mean' });
  const name = z.string({ error: (issue) => `${missingOr(issue.input)}; write a file name or column name` })
    .min(1, { error: 'must not be empty' });

  const constantParams = valueSchema.transform((value): DistributionSpec => ({ kind: 'constant', value }));
  const forms: Form[] = [
    { kind: 'constant', variants: [{ keys: [], params: constantParams }] },
    { kind: 'uniform', variants: [variant('uniform', { min: valueSchema, max: valueSchema }, (p) => ({ kind: 'uniform', ...p }))] },
    { kind: 'exponential', variants: [variant('exponential', { mean: valueSchema }, (p) => ({ kind: 'exponential', ...p }))] },
    {
      kind: 'normal',
      variants: [
        variant(
          'normal',
          { mean: valueSchema, sd: valueSchema, min: valueSchema.optional(), max: valueSchema.optional() },
          (p) => ({ kind: 'normal', ...p }),
          (p) =>
            nonNegative && p.min === undefined
              ? 'add min (e.g. min: 0): a normal without min can go below 0, and these values cannot be negative'
              : undefined,
        ),
      ],
    },
    {
      kind: 'lognormal',
      variants: [
        variant('lognormal', { p50: valueSchema, p90: valueSchema }, (p) => ({ kind: 'lognormalPercentiles', ...p })),
        variant('lognormal', { mean: valueSchema, cv }, (p) => ({ kind: 'lognormalMeanCv', ...p })),
      ],
    },
    { kind: 'gamma', variants: [variant('gamma', { mean: valueSchema, cv }, (p) => ({ kind: 'gamma', ...p }))] },
    {
      kind: 'empirical',
      variants: [
        variant(
          'empirical',
          { samples: z.array(valueSchema).min(1, { error: 'samples must hold at least one value' }) },
          (p) => ({ kind: 'empiricalSamples', ...p }),
        ),
        variant('empirical', { file: name, column: name }, (p) => ({ kind: 'empiricalFile', ...p, nonNegative })),
      ],
    },
  ];

  const kinds = forms.map((f) => f.kind).join(', ');
  // Used as is, this union would answer any mistake with "Invalid input" (zod cannot tell which option the user
  // meant); the preprocess step below finds the intended option and reports its issues at their own paths.
  const shape = z
    .union([
      constantParams,
      ...forms.map((form) =>
        z
          .strictObject({ [form.kind]: form.variants.length === 1 ? form.variants[0].params : z.union(form.variants.map((v) => v.params)) })
          .transform((wrapper) => wrapper[form.kind] as DistributionSpec),
      ),
    ])
    .meta({ description: `a distribution: a bare value (a constant) or an object with one key out of ${kinds}` });

  return z.preprocess((input, ctx) => {
    for (const issue of issuesOfIntendedForm(input, constantParams, forms, kinds)) {
      ctx.issues.push({ code: 'custom', input, message: issue.message, path: issue.path });
    }
    return input;
  }, shape);
}

interface Issue {
  readonly message: string;
  readonly path: PropertyKey[];
}

/** The issues of the form the input was meant to be (none when it is valid). */
function issuesOfIntendedForm(input: unknown, constantParams: z.ZodType, forms: readonly Form[], kinds: string): Issue[] {
  const oneIssue = (message: string, path: PropertyKey[] = []): Issue[] => [{ message, path }];
  if (typeof input === 'number' || typeof input === 'string') return issuesOf(constantParams.safeParse(input), []);
  if (!isPlainObject(input)) {
    return oneIssue(`${missingOr(input, 'is not a distribution')}; write a value, or an object with one key out of ${kinds}`);
  }
  const keys = Object.keys(input);
  if (keys.length !== 1) {
    return oneIssue(
      keys.length === 0
        ? `an empty object is not a distribution; give it one key out of ${kinds}`
        : `a distribution has exactly one key, got ${keys.length} (${keys.join(', ')}); keep one of ${kinds}`,
    );
  }
  const [kind] = keys;
  const form = forms.find((f) => f.kind === kind);
  if (form === undefined) return oneIssue(`unknown distribution kind "${kind}"; expected one of ${kinds}`);
  const params = input[kind];
  const chosen =
    form.variants.length === 1
      ? form.variants[0]
      : form.variants.find((v) => isPlainObject(params) && v.keys.some((key) => Object.hasOwn(params, key)));
  if (chosen === undefined) return oneIssue(`${kind} takes ${form.variants.map((v) => v.keys.join(' and ')).join(', or ')}`, [kind]);
  return issuesOf(chosen.params.safeParse(params), [kind]);
}

function issuesOf(result: z.ZodSafeParseResult<unknown>, prefix: PropertyKey[]): Issue[] {
  if (result.success) return [];
  return result.error.issues.map((issue) => ({ message: issue.message, path: [...prefix, ...issue.path] }));
}

/** A strict parameter object converted to a spec, with an optional check across its fields. */
function variant<Shape extends z.ZodRawShape>(
  kind: string,
  shape: Shape,
  toSpec: (params: z.output<z.ZodObject<Shape>>) => DistributionSpec,
  problemWith?: (params: z.output<z.ZodObject<Shape>>) => string | undefined,
): Variant {
  const keys = Object.keys(shape);
  const object = z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unexpected ${issue.keys.map((k) => `"${k}"`).join(', ')}; ${kind} takes ${keys.join(', ')}` : undefined,
  });
  const checked = problemWith
    ? object.superRefine((params, ctx) => {
        const message = problemWith(params);
        if (message !== undefined) ctx.addIssue({ code: 'custom', message });
      })
    : object;
  return { keys, params: checked.transform(toSpec) };
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Builds the distribution a spec describes; `baseDir` resolves empirical files, `path` names the spec in errors. */
export function buildDistribution(spec: DistributionSpec, baseDir: string, path: string): Distribution {
  try {
    switch (spec.kind) {
      case 'constant':
        return constant(spec.value);
      case 'uniform':
        return uniform(spec.min, spec.max);
      case 'exponential':
        return exponential(spec.mean);
      case 'normal':
        return normal(spec.mean, spec.sd, { min: spec.min, max: spec.max });
      case 'lognormalPercentiles':
        return lognormalFromPercentiles(spec.p50, spec.p90);
      case 'lognormalMeanCv':
        return lognormalFromMeanCv(spec.mean, spec.cv);
      case 'gamma':
        return gammaFromMeanCv(spec.mean, spec.cv);
      case 'empiricalSamples':
        return empirical(spec.samples);
      case 'empiricalFile':
        return empirical(readCsvColumn(resolve(baseDir, spec.file), spec.column, spec.nonNegative, `${path}.empirical`));
    }
  } catch (error) {
    if (error instanceof InputError && error.path === undefined) throw error.at(path);
    throw error;
  }
}

/**
 * One numeric column of a simple CSV file: a header row, comma-separated cells, no quoting. Blank lines are
 * skipped; errors name the file line and the column.
 */
function readCsvColumn(file: string, column: string, nonNegative: boolean, path: string): number[] {
  const text = readInputFile(file, { what: 'CSV file', maxBytes: INPUT_LIMITS.data, path: `${path}.file` });
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = lines[0].split(',').map((cell) => cell.trim());
  const index = header.indexOf(column);
  if (index < 0) {
    throw new InputError(`column "${column}" is not in the header of ${file}; it has ${header.join(', ')}`, `${path}.column`);
  }
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const where = `${file} line ${i + 1}, column "${column}"`;
    const cell = lines[i].split(',')[index]?.trim();
    if (cell === undefined || cell === '') throw new InputError(`${where} is empty`, path);
    const value = Number(cell);
    if (!Number.isFinite(value)) throw new InputError(`${where}: "${cell}" is not a number`, path);
    if (nonNegative && value < 0) throw new InputError(`${where}: ${cell} is negative; these values must be 0 or more`, path);
    values.push(value);
  }
  if (values.length === 0) throw new InputError(`${file} has a header but no data rows`, path);
  return values;
}
