import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { overrideText } from '../../sim/batch/override-values.js';
import { parseSweep, sweepRunSpec, validateSweepPoints } from '../../sim/batch/sweep-spec.js';
import { InputError } from '../../sim/errors.js';
import { applyOverrides } from '../../sim/scenario/overrides.js';

const sweepYaml = (spec: string): string =>
  `apiVersion: rollout-sim/v1alpha1\nkind: Sweep\nmetadata: { name: demo }\nspec:\n${spec.replace(/^/gm, '  ')}\n`;

describe('parseSweep', () => {
  const sweep = parseSweep(
    sweepYaml(
      [
        'scenario: ../plan/small-fleet.yaml',
        'seeds: 2',
        'set: { spec.duration: 6m }',
        'grid:',
        '  spec.rollout.strategy.rollingUpdate.maxSurge: [1, 50%]',
        '  spec.server.shutdownTimeout: [10s, 30s, 60s]',
      ].join('\n'),
    ),
    'demo.yaml',
    '/sweeps',
  );

  it('expands the grid as nested loops in file order (first path slowest), seeds innermost', () => {
    expect(sweep.points).toEqual([
      { 'spec.rollout.strategy.rollingUpdate.maxSurge': '1', 'spec.server.shutdownTimeout': '10s' },
      { 'spec.rollout.strategy.rollingUpdate.maxSurge': '1', 'spec.server.shutdownTimeout': '30s' },
      { 'spec.rollout.strategy.rollingUpdate.maxSurge': '1', 'spec.server.shutdownTimeout': '60s' },
      { 'spec.rollout.strategy.rollingUpdate.maxSurge': '50%', 'spec.server.shutdownTimeout': '10s' },
      { 'spec.rollout.strategy.rollingUpdate.maxSurge': '50%', 'spec.server.shutdownTimeout': '30s' },
      { 'spec.rollout.strategy.rollingUpdate.maxSurge': '50%', 'spec.server.shutdownTimeout': '60s' },
    ]);
    expect(sweep.seeds).toEqual([1, 2]);
    expect(sweep.runs).toHaveLength(12);
    expect(sweep.runs.map((r) => r.index)).toEqual([...Array(12).keys()]);
    expect(sweep.runs[5]).toMatchObject({ index: 5, point: 2, seed: 2 });
  });

  it('runs each point with the fixed overrides first, then its own, resolving the scenario from the sweep file', () => {
    const spec = sweepRunSpec(sweep, sweep.runs[7]);
    expect(spec.file).toBe('/plan/small-fleet.yaml');
    expect(spec.seed).toBe(2);
    expect(spec.overrides).toEqual(['spec.duration=6m', 'spec.rollout.strategy.rollingUpdate.maxSurge=50%', 'spec.server.shutdownTimeout=10s']);
    expect(spec.tags).toEqual({ point: '3', ...sweep.points[3] });
  });

  it('takes an explicit seed list', () => {
    const s = parseSweep(sweepYaml('scenario: a.yaml\nseeds: [7, 9]\ngrid: { spec.seed: [1] }'), 's.yaml', '.');
    expect(s.seeds).toEqual([7, 9]);
  });

  it('reports bad sweeps as InputError naming the field and what is expected', () => {
    const cases: [string, RegExp][] = [
      ['scenario: a.yaml\nseeds: 2\ngrid: {}', /spec\.grid.*at least one path/],
      ['scenario: a.yaml\nseeds: 0\ngrid: { spec.seed: [1] }', /spec\.seeds.*>=1/],
      ['scenario: a.yaml\nseeds: [1, 1]\ngrid: { spec.seed: [1] }', /repeats a seed/],
      ['scenario: a.yaml\nseeds: 1\ngrid: { spec.seed: [] }', /at least one value/],
      ['scenario: a.yaml\nseeds: 1\ngrid: { "spec..seed": [1] }', /"spec\.\.seed" is not a field path/],
      ['scenario: a.yaml\nseeds: 1\nset: { spec.seed: 3 }\ngrid: { spec.seed: [1] }', /both in spec\.set and spec\.grid/],
      ['scenario: a.yaml\nseeds: 1\ngrid: { spec.seed: [1] }\nextra: 1', /unknown field "extra"/],
    ];
    for (const [spec, message] of cases) {
      expect(() => parseSweep(sweepYaml(spec), 's.yaml', '.')).toThrow(InputError);
      expect(() => parseSweep(sweepYaml(spec), 's.yaml', '.')).toThrow(message);
    }
  });

  it('validates every grid point against the scenario before running, naming the bad point', () => {
    const bad = parseSweep(
      sweepYaml('scenario: small-fleet.yaml\nseeds: 1\ngrid: { spec.deployment.replicas: [2, many] }'),
      's.yaml',
      'test/plan',
    );
    expect(() => validateSweepPoints(bad)).toThrow(/grid point 1 \(spec\.deployment\.replicas=many\)/);
  });
});

describe('overrideText', () => {
  it('reads back through --set to the same value, for strings that look like numbers, lists and mappings', () => {
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constantFrom('25%', '1', 'true', 'null', '', ' x', 'a: b', '[1]', '#c'),
      fc.array(fc.record({ setWeight: fc.integer({ min: 0, max: 100 }) }), { maxLength: 3 }),
    );
    fc.assert(
      fc.property(value, (v) => {
        const doc = applyOverrides({}, [`a.b=${overrideText(v)}`]) as { a: { b: unknown } };
        expect(doc.a.b).toEqual(v);
      }),
    );
  });

  it('writes plain values plainly', () => {
    expect(overrideText('25%')).toBe('25%');
    expect(overrideText(8)).toBe('8');
    expect(overrideText('8')).toBe('"8"');
    expect(overrideText([{ setWeight: 25 }, { pause: { duration: 60 } }])).toBe('[ { setWeight: 25 }, { pause: { duration: 60 } } ]');
  });
});
