import { createRequire } from 'node:module';
import type * as MathJs from 'mathjs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../sim/errors.js';
import {
  BANDWIDTH,
  BYTES,
  DURATION,
  RATE,
  UNIT_FACTORS,
  parseQuantity,
  type QuantityKind,
  formatBytes,
  formatDuration,
  parseBandwidth,
  parseBytes,
  parseDuration,
  parseRate,
} from '../../sim/config/units.js';

describe('parseDuration', () => {
  it.each([
    [90, 90],
    [0, 0],
    [1.5, 1.5],
    ['90s', 90],
    ['2m', 120],
    ['2min', 120],
    ['1h', 3600],
    ['1.5h', 5400],
    ['500ms', 0.5],
    ['1d', 86400],
    ['2 days', 172800],
    ['0s', 0],
    ['90', 90],
    [' 3 h ', 10800],
    ['1e3ms', 1],
    ['.5m', 30],
  ])('%j is %d seconds', (input, seconds) => {
    expect(parseDuration(input)).toBeCloseTo(seconds, 9);
  });

  it('names the path, the bad value and an example', () => {
    expect(() => parseDuration('90 parsecs', 'spec.duration')).toThrow(InputError);
    expect(() => parseDuration('90 parsecs', 'spec.duration')).toThrow(
      'spec.duration: "90 parsecs" is not a duration (unknown unit "parsecs"); write e.g. 90s, 2m or 1h',
    );
  });

  it.each([
    ['5GB', /"5GB" is not a duration \(GB is not a unit of time\)/],
    ['-5s', /"-5s" is negative/],
    [-1, /-1 is negative/],
    [Number.NaN, /is not a duration/],
    [Infinity, /is not a duration/],
    ['', /"" is not a duration/],
    ['s', /"s" is not a duration/],
    ['5 light years', /is not a duration/],
    ['5/s', /is not a duration/],
  ])('rejects %j', (input, message) => {
    expect(() => parseDuration(input, 'x')).toThrow(message);
  });

  it('rejects values that are not numbers or strings', () => {
    expect(() => parseDuration(true as unknown as number, 'a.b')).toThrow(/^a\.b: true is not a duration/);
  });
});

describe('parseBytes', () => {
  it.each([
    [1024, 1024],
    ['16GiB', 16 * 2 ** 30],
    ['140GB', 140e9],
    ['512MiB', 512 * 2 ** 20],
    ['1.5TB', 1.5e12],
    ['10 kB', 10_000],
    ['8Gb', 1e9],
    ['8Gbit', 1e9],
    ['100', 100],
  ])('%j is %d bytes', (input, bytes) => {
    expect(parseBytes(input)).toBeCloseTo(bytes, 3);
  });

  it.each([
    ['16 parsecs', /"16 parsecs" is not a size in bytes \(unknown unit "parsecs"\); write e.g. 16GiB/],
    ['16s', /16s" is not a size in bytes \(s is not a unit of data size\)/],
    ['-1GB', /is negative/],
  ])('rejects %j', (input, message) => {
    expect(() => parseBytes(input, 'model.weights')).toThrow(message);
  });
});

describe('parseRate', () => {
  it.each([
    [20, 20],
    ['20/s', 20],
    ['1200/min', 20],
    ['1200/m', 20],
    ['3/h', 3 / 3600],
    ['0.5/s', 0.5],
    ['0/s', 0],
    ['86400 / d', 1],
  ])('%j is %d per second', (input, perSecond) => {
    expect(parseRate(input)).toBeCloseTo(perSecond, 12);
  });

  it.each([
    ['20', 20],
    ['20/GB', /GB is not a unit of time/],
    ['20s', /is not a rate/],
    ['fast', /"fast" is not a rate; write e.g. 20\/s, 1200\/min or 3\/h/],
  ])('%j', (input, expected) => {
    if (typeof expected === 'number') expect(parseRate(input)).toBe(expected);
    else expect(() => parseRate(input)).toThrow(expected);
  });
});

describe('parseBandwidth', () => {
  it.each([
    [1e9, 1e9],
    ['2GB/s', 2e9],
    ['800MB/s', 800e6],
    ['10Gbit/s', 1.25e9],
    ['10Gb/s', 1.25e9],
    ['1.2GiB/s', 1.2 * 2 ** 30],
    ['60GB/min', 1e9],
  ])('%j is %d bytes per second', (input, bytesPerSecond) => {
    expect(parseBandwidth(input)).toBeCloseTo(bytesPerSecond, 3);
  });

  it.each([
    ['2GB', /"2GB" is not a bandwidth; write e.g. 2GB\/s/],
    ['2s/GB', /s is not a unit of data size/],
    ['2GB/m', 2e9 / 60],
  ])('%j', (input, expected) => {
    if (typeof expected === 'number') expect(parseBandwidth(input)).toBeCloseTo(expected, 6);
    else expect(() => parseBandwidth(input)).toThrow(expected);
  });
});

describe('formatting for reports', () => {
  it.each([
    [0, '0s'],
    [0.25, '250ms'],
    [0.0005, '0.5ms'],
    [1.5, '1.5s'],
    [59.994, '59.99s'],
    [90, '1m 30s'],
    [3600, '1h'],
    [5405, '1h 30m 5s'],
    [93784, '1d 2h 3m 4s'],
    [-90, '-1m 30s'],
    [Infinity, 'Infinity'],
  ])('formatDuration(%d) is %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [1536, '1.5 KiB'],
    [512 * 2 ** 20, '512 MiB'],
    [16 * 2 ** 30, '16 GiB'],
    [140e9, '130 GiB'],
    [1.5 * 2 ** 40, '1.5 TiB'],
  ])('formatBytes(%d) is %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('formats round sizes so that they parse back exactly', () => {
    for (const bytes of [1536, 512 * 2 ** 20, 1.5 * 2 ** 40]) expect(parseBytes(formatBytes(bytes))).toBe(bytes);
  });
});

describe('the accepted unit names', () => {
  // The factors are mathjs's (loaded here only: a scenario load no longer needs mathjs).
  const { Unit, unit } = createRequire(import.meta.url)('mathjs/lib/browser/math.js') as typeof MathJs;
  const MATHJS_SPELLING: Record<string, string> = { m: 'min', d: 'day', kbit: 'kb', Mbit: 'Mb', Gbit: 'Gb', Tbit: 'Tb' };

  it('convert with the factors mathjs gives, bit for bit', () => {
    for (const [dimension, base] of [['time', 's'], ['data', 'B']] as const) {
      for (const [name, factor] of UNIT_FACTORS[dimension]) {
        const mathjsName = MATHJS_SPELLING[name] ?? name;
        expect(Unit.isValuelessUnit(mathjsName), name).toBe(true);
        expect(unit(1, mathjsName).toNumber(base), name).toBe(factor);
      }
    }
  });

  it('are the only words the JSON Schema patterns accept, each kind its own', () => {
    const accepts = (kind: QuantityKind, text: string) => new RegExp(kind.schemaPattern).test(text);
    expect(accepts(DURATION, '10 fortnights')).toBe(false);
    expect(accepts(DURATION, '10GB')).toBe(false);
    expect(accepts(DURATION, '90s')).toBe(true);
    expect(accepts(DURATION, '2 minutes')).toBe(true);
    expect(accepts(DURATION, '500ms')).toBe(true);
    expect(accepts(DURATION, '90')).toBe(true);
    expect(accepts(BYTES, '16GiB')).toBe(true);
    expect(accepts(BYTES, '16s')).toBe(false);
    expect(accepts(BYTES, '16 parsecs')).toBe(false);
    expect(accepts(RATE, '20/s')).toBe(true);
    expect(accepts(RATE, '20/fortnight')).toBe(false);
    expect(accepts(BANDWIDTH, '10Gbit/s')).toBe(true);
    expect(accepts(BANDWIDTH, '2GB/min')).toBe(true);
    expect(accepts(BANDWIDTH, '2GB/parsec')).toBe(false);
    // Every string the schema accepts, the parser accepts too.
    for (const [kind, unitsKey] of [[DURATION, 'time'], [BYTES, 'data']] as const) {
      for (const name of UNIT_FACTORS[unitsKey].keys()) {
        expect(accepts(kind, `3 ${name}`), name).toBe(true);
        expect(() => parseQuantity(kind, `3 ${name}`), name).not.toThrow();
      }
    }
  });
});
