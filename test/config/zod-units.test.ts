import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { zBandwidth, zBytes, zDuration, zIntOrPercent, zRate } from '../../sim/config/zod-units.js';

function issues(schema: z.ZodType, input: unknown): string[] {
  const result = schema.safeParse(input);
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

type JsonSchema = { anyOf: { type: string; pattern?: string; minimum?: number }[]; description?: string };

function inputJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input' }) as unknown as JsonSchema;
}

describe('quantity schemas', () => {
  it('output numbers in base units', () => {
    expect(zDuration.parse('2m')).toBe(120);
    expect(zDuration.parse(15)).toBe(15);
    expect(zBytes.parse('16GiB')).toBe(16 * 2 ** 30);
    expect(zRate.parse('1200/min')).toBe(20);
    expect(zBandwidth.parse('10Gbit/s')).toBe(1.25e9);
  });

  it('report bad input as zod issues at the field, not as throws', () => {
    const schema = z.object({ spec: z.object({ duration: zDuration }) });
    expect(issues(schema, { spec: { duration: '90 parsecs' } })).toEqual([
      'spec.duration: "90 parsecs" is not a duration (unknown unit "parsecs"); write e.g. 90s, 2m or 1h',
    ]);
    expect(issues(schema, { spec: {} })).toEqual(['spec.duration: missing; write e.g. 90s, 2m or 1h']);
    expect(issues(schema, { spec: { duration: false } })).toEqual([
      'spec.duration: false is not a duration; write e.g. 90s, 2m or 1h',
    ]);
    expect(issues(zBytes, -3)).toEqual([': -3 is negative; write e.g. 16GiB, 140GB or 512MiB']);
    expect(issues(zRate, '5 per second')).toEqual([': "5 per second" is not a rate; write e.g. 20/s, 1200/min or 3/h']);
  });

  it('work with defaults given in the user form', () => {
    const schema = z.object({ delay: zDuration.prefault('30s') });
    expect(schema.parse({})).toEqual({ delay: 30 });
  });

  it.each([
    ['zDuration', zDuration, ['90s', '2m', '1.5h', '500ms', '1d', '90'], ['-5s', '90 light years', '5/s', 'abc']],
    ['zBytes', zBytes, ['16GiB', '140GB', '1.5 TB'], ['-1GB', 'GB', '1 GB/s']],
    ['zRate', zRate, ['20/s', '1200/min', '0.5 / h'], ['20s', '/s', '-1/s']],
    ['zBandwidth', zBandwidth, ['2GB/s', '10Gbit/s', '1.2GiB / s'], ['2GB', '/s', '-2GB/s']],
  ] as const)('%s: JSON Schema (input) is a non-negative number or a string pattern matching the user forms', (_name, schema, good, bad) => {
    const json = inputJsonSchema(schema);
    expect(json.anyOf).toHaveLength(2);
    expect(json.anyOf[0]).toEqual({ type: 'number', minimum: 0 });
    expect(json.anyOf[1].type).toBe('string');
    expect(json.description).toMatch(/e\.g\./);
    const pattern = new RegExp(json.anyOf[1].pattern!);
    for (const text of good) expect(pattern.test(text), text).toBe(true);
    for (const text of bad) expect(pattern.test(text), text).toBe(false);
  });
});

describe('zIntOrPercent', () => {
  it('outputs a tagged count or percentage', () => {
    expect(zIntOrPercent.parse(2)).toEqual({ kind: 'int', value: 2 });
    expect(zIntOrPercent.parse(0)).toEqual({ kind: 'int', value: 0 });
    expect(zIntOrPercent.parse('25%')).toEqual({ kind: 'percent', value: 25 });
    expect(zIntOrPercent.parse('150%')).toEqual({ kind: 'percent', value: 150 });
  });

  it.each([
    ['25', /"25" is not a percentage; write a whole percentage such as 25%, or a count such as 2/],
    ['12.5%', /"12.5%" is not a percentage/],
    [-1, /-1 is negative/],
    [2.5, /2\.5 is neither a count nor a percentage; write e\.g\. 2 or 25%/],
    [null, /null is neither a count nor a percentage/],
  ])('rejects %j with a clear issue', (input, message) => {
    const found = issues(z.object({ maxSurge: zIntOrPercent }), { maxSurge: input });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^maxSurge: /);
    expect(found[0]).toMatch(message);
  });

  it('JSON Schema (input) is a non-negative integer or a percentage string', () => {
    const json = inputJsonSchema(zIntOrPercent);
    expect(json.anyOf[0]).toMatchObject({ type: 'integer', minimum: 0 });
    const pattern = new RegExp(json.anyOf[1].pattern!);
    expect(pattern.test('25%')).toBe(true);
    expect(pattern.test('25')).toBe(false);
  });
});
