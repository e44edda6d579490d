import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InputError } from '../../sim/errors.js';
import { buildDistribution, zDistribution, type DistributionSpec } from '../../sim/config/distribution-spec.js';
import { zDuration } from '../../sim/config/zod-units.js';

const zStartup = z.object({ startup: zDistribution(zDuration) });
const zTokens = zDistribution(z.number().positive());
const zSigned = zDistribution(z.number());

function parsed(input: unknown): DistributionSpec {
  return zStartup.parse({ startup: input }).startup;
}

function issues(input: unknown): string[] {
  const result = zStartup.safeParse({ startup: input });
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

const KINDS = 'constant, uniform, exponential, normal, lognormal, gamma, empirical';

describe('zDistribution: the forms a scenario writes', () => {
  it.each<[unknown, DistributionSpec]>([
    ['10s', { kind: 'constant', value: 10 }],
    [512, { kind: 'constant', value: 512 }],
    [{ constant: '2m' }, { kind: 'constant', value: 120 }],
    [{ uniform: { min: '1s', max: '1m' } }, { kind: 'uniform', min: 1, max: 60 }],
    [{ exponential: { mean: '1s' } }, { kind: 'exponential', mean: 1 }],
    [{ normal: { mean: '30s', sd: '10s', min: 0 } }, { kind: 'normal', mean: 30, sd: 10, min: 0 }],
    [{ normal: { mean: '30s', sd: '10s', min: '5s', max: '1m' } }, { kind: 'normal', mean: 30, sd: 10, min: 5, max: 60 }],
    [{ lognormal: { p50: '2s', p90: '10s' } }, { kind: 'lognormalPercentiles', p50: 2, p90: 10 }],
    [{ lognormal: { mean: '2s', cv: 1.5 } }, { kind: 'lognormalMeanCv', mean: 2, cv: 1.5 }],
    [{ gamma: { mean: '2s', cv: 3 } }, { kind: 'gamma', mean: 2, cv: 3 }],
    [{ empirical: { samples: ['1s', 2, '1m'] } }, { kind: 'empiricalSamples', samples: [1, 2, 60] }],
    [{ empirical: { file: 'startups.csv', column: 'seconds' } }, { kind: 'empiricalFile', file: 'startups.csv', column: 'seconds', nonNegative: true }],
  ])('%j', (input, spec) => {
    expect(parsed(input)).toEqual(spec);
  });

  it('produces a spec that survives JSON', () => {
    const spec = parsed({ normal: { mean: '30s', sd: '10s', min: 0 } });
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  it('uses the value schema for every value', () => {
    expect(zTokens.parse({ uniform: { min: 10, max: 20 } })).toEqual({ kind: 'uniform', min: 10, max: 20 });
    expect(zTokens.safeParse({ uniform: { min: 0, max: 20 } }).success).toBe(false);
    expect(zTokens.safeParse('10s').success).toBe(false);
  });
});

describe('zDistribution: mistakes are reported at their own path', () => {
  it.each<[unknown, string[]]>([
    ['10 parsecs', ['startup: "10 parsecs" is not a duration (unknown unit "parsecs"); write e.g. 90s, 2m or 1h']],
    [{ weibull: { k: 2 } }, [`startup: unknown distribution kind "weibull"; expected one of ${KINDS}`]],
    [{}, [`startup: an empty object is not a distribution; give it one key out of ${KINDS}`]],
    [
      { uniform: { min: 1, max: 2 }, normal: { mean: 1, sd: 1 } },
      [`startup: a distribution has exactly one key, got 2 (uniform, normal); keep one of ${KINDS}`],
    ],
    [true, [`startup: true is not a distribution; write a value, or an object with one key out of ${KINDS}`]],
    [[1, 2], [`startup: [1,2] is not a distribution; write a value, or an object with one key out of ${KINDS}`]],
    [undefined, [`startup: missing; write a value, or an object with one key out of ${KINDS}`]],
    [{ uniform: { min: '1s' } }, ['startup.uniform.max: missing; write e.g. 90s, 2m or 1h']],
    [{ uniform: { min: '1s', max: '2 fortnights' } }, ['startup.uniform.max: "2 fortnights" is not a duration (unknown unit "fortnights"); write e.g. 90s, 2m or 1h']],
    [{ uniform: { min: 1, max: 2, mode: 1 } }, ['startup.uniform: unexpected "mode"; uniform takes min, max']],
    [{ lognormal: { p50: '1s' , mean: '1s' } }, ['startup.lognormal.p90: missing; write e.g. 90s, 2m or 1h', 'startup.lognormal: unexpected "mean"; lognormal takes p50, p90']],
    [{ lognormal: { median: '1s' } }, ['startup.lognormal: lognormal takes p50 and p90, or mean and cv']],
    [{ lognormal: '1s' }, ['startup.lognormal: lognormal takes p50 and p90, or mean and cv']],
    [{ gamma: { mean: '1s' } }, ['startup.gamma.cv: missing; write the coefficient of variation (sd / mean) as a number, e.g. 0.5']],
    [{ empirical: { samples: [] } }, ['startup.empirical.samples: samples must hold at least one value']],
    [{ empirical: { samples: ['1s', 'soon'] } }, ['startup.empirical.samples.1: "soon" is not a duration; write e.g. 90s, 2m or 1h']],
    [{ empirical: { file: 'a.csv' } }, ['startup.empirical.column: missing; write a file name or column name']],
    [{ empirical: {} }, ['startup.empirical: empirical takes samples, or file and column']],
  ])('%j', (input, expected) => {
    expect(issues(input)).toEqual(expected);
  });

  it('asks for min on a normal over values that cannot be negative', () => {
    expect(issues({ normal: { mean: '30s', sd: '10s' } })).toEqual([
      'startup.normal: add min (e.g. min: 0): a normal without min can go below 0, and these values cannot be negative',
    ]);
    expect(zTokens.safeParse({ normal: { mean: 100, sd: 20 } }).success).toBe(false);
    expect(zSigned.parse({ normal: { mean: 0, sd: 1 } })).toEqual({ kind: 'normal', mean: 0, sd: 1 });
  });
});

describe('zDistribution: JSON Schema (input)', () => {
  const json = z.toJSONSchema(zDistribution(zDuration), { io: 'input' }) as {
    anyOf: { anyOf?: unknown[]; properties?: Record<string, unknown>; required?: string[]; additionalProperties?: boolean }[];
  };

  it('offers the bare value and one single-key object per kind', () => {
    const [bare, ...objects] = json.anyOf;
    expect(bare.anyOf).toHaveLength(2); // number or string with units
    expect(objects.map((o) => Object.keys(o.properties!))).toEqual(KINDS.split(', ').map((kind) => [kind]));
    for (const o of objects) {
      expect(o.additionalProperties).toBe(false);
      expect(o.required).toHaveLength(1);
    }
  });

  it('describes both lognormal forms', () => {
    const lognormal = json.anyOf.find((o) => o.properties?.lognormal)!.properties!.lognormal as { anyOf: { required: string[] }[] };
    expect(lognormal.anyOf.map((o) => o.required)).toEqual([
      ['p50', 'p90'],
      ['mean', 'cv'],
    ]);
  });
});

describe('buildDistribution', () => {
  it.each<[DistributionSpec, string, number]>([
    [{ kind: 'constant', value: 10 }, 'constant(10)', 10],
    [{ kind: 'uniform', min: 1, max: 3 }, 'uniform(min=1, max=3)', 2],
    [{ kind: 'exponential', mean: 4 }, 'exponential(mean=4)', 4],
    [{ kind: 'normal', mean: 30, sd: 10, min: 0 }, 'normal(mean=30, sd=10, min=0)', 30.0444],
    [{ kind: 'lognormalPercentiles', p50: 2, p90: 10 }, 'lognormal(p50=2, p90=10)', 4.4004],
    [{ kind: 'lognormalMeanCv', mean: 2, cv: 1.5 }, 'lognormal(mean=2, cv=1.5)', 2],
    [{ kind: 'gamma', mean: 2, cv: 3 }, 'gamma(mean=2, cv=3)', 2],
    [{ kind: 'empiricalSamples', samples: [1, 2, 6] }, 'empirical(3 samples, mean=3)', 3],
  ])('%j', (spec, description, mean) => {
    const d = buildDistribution(spec, '/nowhere', 'spec.x');
    expect(d.describe()).toBe(description);
    expect(d.mean).toBeCloseTo(mean, 3);
  });

  it('reports parameter errors at the spec path', () => {
    const build = () => buildDistribution({ kind: 'lognormalPercentiles', p50: 200, p90: 100 }, '/', 'spec.startup');
    expect(build).toThrow(InputError);
    expect(build).toThrow('spec.startup: lognormal: p90 (100) must be greater than p50 (200)');
    expect(() => buildDistribution({ kind: 'uniform', min: 5, max: 1 }, '/', 'spec.y')).toThrow(/^spec\.y: uniform: max \(1\)/);
    expect(() => buildDistribution({ kind: 'gamma', mean: 1, cv: -1 }, '/', 'spec.z')).toThrow(/^spec\.z: gamma: cv \(-1\)/);
  });
});

describe('buildDistribution: empirical files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-sim-dist-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'startups.csv'), '\uFEFFmodel, seconds ,gpu\r\nllama,40,a100\r\nqwen,100,h100\r\nmixtral,160,h100\r\n\r\n');
  writeFileSync(join(dir, 'bad-cell.csv'), 'a,b\n1,2\n3,oops\n');
  writeFileSync(join(dir, 'empty-cell.csv'), 'a,b\n1,2\n3\n');
  writeFileSync(join(dir, 'negative.csv'), 'a\n1\n-2\n');
  writeFileSync(join(dir, 'header-only.csv'), 'a\n');
  const file = (name: string, column: string, nonNegative = true): DistributionSpec => ({ kind: 'empiricalFile', file: name, column, nonNegative });

  it('reads the column relative to the scenario folder', () => {
    const d = buildDistribution(file('data/startups.csv', 'seconds'), dir, 'spec.startup');
    expect(d.mean).toBe(100);
    expect(d.describe()).toBe('empirical(3 samples, mean=100)');
  });

  it.each<[DistributionSpec, RegExp]>([
    [file('data/startups.csv', 'secs'), /^spec\.s\.empirical\.column: column "secs" is not in the header of .*startups\.csv; it has model, seconds, gpu$/],
    [file('missing.csv', 'a'), /^spec\.s\.empirical\.file: no such CSV file .*missing\.csv/],
    [file('bad-cell.csv', 'b'), /^spec\.s\.empirical: .*bad-cell\.csv line 3, column "b": "oops" is not a number$/],
    [file('empty-cell.csv', 'b'), /^spec\.s\.empirical: .*empty-cell\.csv line 3, column "b" is empty$/],
    [file('negative.csv', 'a'), /^spec\.s\.empirical: .*negative\.csv line 3, column "a": -2 is negative/],
    [file('header-only.csv', 'a'), /^spec\.s\.empirical: .*header-only\.csv has a header but no data rows$/],
  ])('%j is rejected, naming the row and column', (spec, message) => {
    expect(() => buildDistribution(spec, dir, 'spec.s')).toThrow(InputError);
    expect(() => buildDistribution(spec, dir, 'spec.s')).toThrow(message);
  });

  it('accepts negative cells when the values may be negative', () => {
    expect(buildDistribution(file('negative.csv', 'a', false), dir, 'spec.s').mean).toBe(-0.5);
  });
});
