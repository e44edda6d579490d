import type { SimulatorLimits } from '../engine/simulator.js';
import { InputError } from '../errors.js';
import type { LoadedScenario } from '../scenario/load.js';
import { parseBytes } from '../config/units.js';
import { KV_DTYPES, WEIGHT_DTYPES, type KvDtype, type WeightDtype } from '../serving/catalog/dtypes.js';

/** Flags shared by the commands that run scenarios. */
export interface RunFlags {
  seed?: number;
  set?: string[];
  'max-events'?: number;
  'max-memory'?: string;
}

export function toStringList(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

export function parseSeed(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InputError(`"${String(value)}" is not an integer seed`, '--seed');
  return n;
}

export function parsePositiveInt(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InputError(`"${String(value)}" is not a whole number above 0`, flag);
  return n;
}

/** --max-events and --max-memory: the guard that stops a run too large for the machine. */
export function limitsFromFlags(args: { 'max-events'?: unknown; 'max-memory'?: unknown }): Partial<SimulatorLimits> {
  const limits: Partial<SimulatorLimits> = {};
  const maxEvents = parsePositiveInt(args['max-events'], '--max-events');
  if (maxEvents !== undefined) limits.maxEvents = maxEvents;
  if (args['max-memory'] !== undefined) limits.maxHeapBytes = parseBytes(String(args['max-memory']), '--max-memory');
  return limits;
}

/** Unmodelled manifest fields and likely mistakes: listed on stderr, never silently ignored. */
export function printWarnings(loaded: LoadedScenario): void {
  for (const w of loaded.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
}

/** `--weight-dtype`: one of WEIGHT_DTYPES, or undefined when not given. */
export function parseWeightDtype(value: string | undefined): WeightDtype | undefined {
  return oneOf(value, WEIGHT_DTYPES, 'a weight dtype', '--weight-dtype');
}

/** `--kv-dtype`: one of KV_DTYPES, or undefined when not given. */
export function parseKvDtype(value: string | undefined): KvDtype | undefined {
  return oneOf(value, KV_DTYPES, 'a KV dtype', '--kv-dtype');
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], what: string, flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InputError({ problem: `is not ${what}`, expected: allowed.join(', '), got: JSON.stringify(value) }, flag);
  }
  return value as T;
}
