import { InputError } from '../errors.js';

/**
 * Quantities a scenario writes with units: a number, then units in fixed slots, converted to a base unit. The
 * units are a fixed list (their factors are the ones mathjs uses, which test/config/units.test.ts checks), so the
 * JSON Schema can name them, and loading a scenario does not load mathjs.
 */
export interface QuantityKind {
  /** With its article, as in "is not a duration". */
  readonly noun: string;
  readonly examples: string;
  /** ECMAScript pattern for the string form with any word as a unit: the parser, which then names a bad unit. */
  readonly pattern: string;
  /** The same with only the accepted unit names: the JSON Schema, so an editor flags `10 fortnights`. */
  readonly schemaPattern: string;
  /** One per capture group after the number; a unit in a slot with power -1 divides. */
  readonly slots: readonly UnitSlot[];
}

interface Dimension {
  readonly name: string;
  readonly baseUnit: string;
  /** Unit name → how many base units one of it is. */
  readonly units: ReadonlyMap<string, number>;
}

interface UnitSlot {
  readonly dimension: Dimension;
  readonly power: 1 | -1;
}

/** Each name with its plural: ['hour', 3600] → hour, hours. */
function withPlurals(entries: ReadonlyArray<readonly [string, number]>): Array<[string, number]> {
  return entries.flatMap(([name, factor]): Array<[string, number]> => [[name, factor], [`${name}s`, factor]]);
}

const TIME: Dimension = {
  name: 'time',
  baseUnit: 's',
  units: new Map([
    ['ns', 1e-9], ['us', 1e-6], ['ms', 0.001], ['s', 1], ['sec', 1], ['secs', 1], ['min', 60], ['mins', 60],
    // 'm' is a minute as in Kubernetes and Go durations (2m), never a metre.
    ['m', 60], ['h', 3600], ['hr', 3600], ['d', 86400],
    ...withPlurals([
      ['nanosecond', 1e-9], ['microsecond', 1e-6], ['millisecond', 0.001], ['second', 1], ['minute', 60],
      ['hour', 3600], ['day', 86400], ['week', 604800],
    ]),
  ]),
};

const DATA: Dimension = {
  name: 'data size',
  baseUnit: 'B',
  units: new Map([
    ['B', 1], ['kB', 1e3], ['MB', 1e6], ['GB', 1e9], ['TB', 1e12], ['PB', 1e15],
    ['KiB', 1024], ['MiB', 2 ** 20], ['GiB', 2 ** 30], ['TiB', 2 ** 40], ['PiB', 2 ** 50],
    // Bits, as mathjs spells them (Gb) and as people write them (Gbit).
    ['b', 0.125], ['kb', 125], ['Mb', 125e3], ['Gb', 125e6], ['Tb', 125e9],
    ['bit', 0.125], ['kbit', 125], ['Mbit', 125e3], ['Gbit', 125e6], ['Tbit', 125e9],
    ...withPlurals([
      ['byte', 1], ['kilobyte', 1e3], ['megabyte', 1e6], ['gigabyte', 1e9], ['terabyte', 1e12],
      ['kibibyte', 1024], ['mebibyte', 2 ** 20], ['gibibyte', 2 ** 30], ['tebibyte', 2 ** 40],
      ['kilobit', 125], ['megabit', 125e3], ['gigabit', 125e6],
    ]),
  ]),
};

const DIMENSIONS: readonly Dimension[] = [TIME, DATA];

const NUMBER = String.raw`(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)`;
const WORD = '([A-Za-z]+)';
const anchored = (body: string): string => String.raw`^\s*${NUMBER}\s*${body}\s*$`;
/** One capture group of a dimension's unit names, longest first so `ms` is not read as `m` then `s`. */
const unitsOf = (d: Dimension): string => `(${[...d.units.keys()].sort((a, b) => b.length - a.length || a.localeCompare(b)).join('|')})`;

/** A bare number (here, or as a numeric string) is in the base unit: seconds, bytes, per second, bytes per second. */
export const DURATION: QuantityKind = {
  noun: 'a duration',
  examples: '90s, 2m or 1h',
  pattern: anchored(`${WORD}?`),
  schemaPattern: anchored(`${unitsOf(TIME)}?`),
  slots: [{ dimension: TIME, power: 1 }],
};
export const BYTES: QuantityKind = {
  noun: 'a size in bytes',
  examples: '16GiB, 140GB or 512MiB',
  pattern: anchored(`${WORD}?`),
  schemaPattern: anchored(`${unitsOf(DATA)}?`),
  slots: [{ dimension: DATA, power: 1 }],
};
export const RATE: QuantityKind = {
  noun: 'a rate',
  examples: '20/s, 1200/min or 3/h',
  pattern: anchored(String.raw`(?:/\s*${WORD})?`),
  schemaPattern: anchored(String.raw`(?:/\s*${unitsOf(TIME)})?`),
  slots: [{ dimension: TIME, power: -1 }],
};
export const BANDWIDTH: QuantityKind = {
  noun: 'a bandwidth',
  examples: '2GB/s, 800MB/s or 10Gbit/s',
  pattern: anchored(String.raw`(?:${WORD}\s*/\s*${WORD})?`),
  schemaPattern: anchored(String.raw`(?:${unitsOf(DATA)}\s*/\s*${unitsOf(TIME)})?`),
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
  const factor = dimension.units.get(word);
  if (factor !== undefined) return factor;
  if (DIMENSIONS.some((other) => other.units.has(word))) return `${word} is not a unit of ${dimension.name}`;
  return `unknown unit "${word}"`;
}

/** The unit names of time and of data sizes, with their factors (tests compare them with mathjs). */
export const UNIT_FACTORS = { time: TIME.units, data: DATA.units } as const;

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
