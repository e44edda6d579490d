import { createRequire } from 'node:module';
import type * as MathJs from 'mathjs';
import { InputError } from '../errors.js';

// mathjs's one-file bundle (a public export of the package) loads about ten times faster than its ESM build of
// several hundred modules; every CLI run and test file that touches units pays that load.
const { Unit, unit } = createRequire(import.meta.url)('mathjs/lib/browser/math.js') as typeof MathJs;

/**
 * Quantities a scenario writes with units. Unit names and factors come from mathjs; this module only fixes the
 * shape of each quantity (a number, then units in fixed slots) and the base unit its number is converted to.
 */
export interface QuantityKind {
  /** With its article, as in "is not a duration". */
  readonly noun: string;
  readonly examples: string;
  /** ECMAScript pattern for the string form; the parser and the JSON Schema both use it. */
  readonly pattern: string;
  /** One per capture group after the number; a unit in a slot with power -1 divides. */
  readonly slots: readonly UnitSlot[];
}

interface Dimension {
  readonly name: string;
  readonly baseUnit: string;
}

interface UnitSlot {
  readonly dimension: Dimension;
  readonly power: 1 | -1;
}

const TIME: Dimension = { name: 'time', baseUnit: 's' };
const DATA: Dimension = { name: 'data size', baseUnit: 'B' };

const NUMBER = String.raw`(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)`;
const WORD = '([A-Za-z]+)';
const anchored = (body: string): string => String.raw`^\s*${NUMBER}\s*${body}\s*$`;

/** A bare number (here, or as a numeric string) is in the base unit: seconds, bytes, per second, bytes per second. */
export const DURATION: QuantityKind = {
  noun: 'a duration',
  examples: '90s, 2m or 1h',
  pattern: anchored(`${WORD}?`),
  slots: [{ dimension: TIME, power: 1 }],
};
export const BYTES: QuantityKind = {
  noun: 'a size in bytes',
  examples: '16GiB, 140GB or 512MiB',
  pattern: anchored(`${WORD}?`),
  slots: [{ dimension: DATA, power: 1 }],
};
export const RATE: QuantityKind = {
  noun: 'a rate',
  examples: '20/s, 1200/min or 3/h',
  pattern: anchored(String.raw`(?:/\s*${WORD})?`),
  slots: [{ dimension: TIME, power: -1 }],
};
export const BANDWIDTH: QuantityKind = {
  noun: 'a bandwidth',
  examples: '2GB/s, 800MB/s or 10Gbit/s',
  pattern: anchored(String.raw`(?:${WORD}\s*/\s*${WORD})?`),
  slots: [
    { dimension: DATA, power: 1 },
    { dimension: TIME, power: -1 },
  ],
};

/** Seconds. */
export function parseDuration(v: number | string, path?: string): number {
  return parseQuantity(DURATION, v, path);
}

/** Bytes. */
export function parseBytes(v: number | string, path?: string): number {
  return parseQuantity(BYTES, v, path);
}

/** Events per second. */
export function parseRate(v: number | string, path?: string): number {
  return parseQuantity(RATE, v, path);
}

/** Bytes per second. */
export function parseBandwidth(v: number | string, path?: string): number {
  return parseQuantity(BANDWIDTH, v, path);
}

/** Parses any quantity kind to its base unit; rejects negative and non-finite values. */
export function parseQuantity(kind: QuantityKind, v: number | string, path?: string): number {
  function fail(problem: string): never {
    throw new InputError(`${JSON.stringify(v)} ${problem}; write e.g. ${kind.examples}`, path);
  }
  if (typeof v === 'number') return checkMagnitude(v, kind, fail);
  if (typeof v !== 'string') return fail(`is not ${kind.noun}`);
  const pattern = new RegExp(kind.pattern);
  const match = pattern.exec(v);
  if (match === null) {
    const negative = pattern.test(v.replace(/^\s*-/, ''));
    return fail(negative ? 'is negative' : `is not ${kind.noun}`);
  }
  let value = Number(match[1]);
  for (let i = 0; i < kind.slots.length; i++) {
    const word = match[i + 2];
    if (word === undefined) continue;
    const slot = kind.slots[i];
    const factor = unitFactor(word, slot.dimension);
    if (typeof factor === 'string') fail(`is not ${kind.noun} (${factor})`);
    value = slot.power === 1 ? value * factor : value / factor;
  }
  return checkMagnitude(value, kind, fail);
}

function checkMagnitude(value: number, kind: QuantityKind, fail: (problem: string) => never): number {
  if (!Number.isFinite(value)) return fail(`is not ${kind.noun} (not a finite number)`);
  if (value < 0) return fail('is negative');
  return value;
}

/** How many base units one `word` is, or why `word` is not a unit of `dimension`. */
function unitFactor(word: string, dimension: Dimension): number | string {
  const name = mathjsUnitName(word);
  if (!Unit.isValuelessUnit(name)) return `unknown unit "${word}"`;
  const one = unit(1, name);
  if (!one.equalBase(unit(1, dimension.baseUnit))) return `${word} is not a unit of ${dimension.name}`;
  return one.toNumber(dimension.baseUnit);
}

/** Scenario spellings mathjs reads differently or not at all. */
const SCENARIO_UNIT_NAMES = new Map([
  ['m', 'min'], // mathjs 'm' is the metre; in a scenario 2m is two minutes, as in Kubernetes and Go durations
  ['d', 'day'],
]);

function mathjsUnitName(word: string): string {
  const renamed = SCENARIO_UNIT_NAMES.get(word);
  if (renamed !== undefined) return renamed;
  // mathjs spells prefixed bits Gb or gigabit; people also write Gbit
  if (!Unit.isValuelessUnit(word) && /bits?$/.test(word)) return word.replace(/bits?$/, 'b');
  return word;
}

/** "250ms", "1.5s", "1h 2m 5s", "2d 3h": for reports, not meant to be parsed back. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds < 0) return `-${formatDuration(-seconds)}`;
  if (seconds === 0) return '0s';
  if (seconds < 1) return `${significant(seconds * 1000)}ms`;
  if (seconds < 60) return `${Number(seconds.toFixed(2))}s`;
  let rest = Math.round(seconds);
  const parts: string[] = [];
  for (const [suffix, size] of DURATION_PARTS) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count}${suffix}`);
  }
  return parts.join(' ');
}

const DURATION_PARTS: ReadonlyArray<readonly [string, number]> = [
  ['d', 86400],
  ['h', 3600],
  ['m', 60],
  ['s', 1],
];

/** Binary units (memory is sized in powers of two): "512 MiB", "1.5 GiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  if (bytes < 0) return `-${formatBytes(-bytes)}`;
  let scaled = bytes;
  let i = 0;
  while (scaled >= 1024 && i < BINARY_BYTE_UNITS.length - 1) {
    scaled /= 1024;
    i++;
  }
  return `${significant(scaled)} ${BINARY_BYTE_UNITS[i]}`;
}

const BINARY_BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

function significant(x: number): number {
  return Number(x.toPrecision(3));
}
