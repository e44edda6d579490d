/**
 * The unit spellings of Kubernetes and Argo manifests, which differ from the scenario's (units.ts): resource
 * quantities (`200Gi`, `1.5T`, `100m`), Go durations (`1h30m`) and GNU sleep arguments (`15`, `1m`).
 * Each parser returns null for text it does not read, so the caller words the error at its field.
 */

const BINARY_SUFFIXES: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

// apimachinery resource.Quantity: <signedNumber><binarySI | decimalSI | decimalExponent>
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE]?)|[eE]([+-]?\d+))$/;

/** A resource quantity as a number of base units (bytes for memory, devices for GPUs). */
export function parseK8sQuantity(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return null;
  const match = QUANTITY.exec(value.trim());
  if (match === null) return null;
  const [, number, binary, decimal, exponent] = match;
  const factor = binary !== undefined ? BINARY_SUFFIXES[binary] : exponent !== undefined ? 10 ** Number(exponent) : DECIMAL_SUFFIXES[decimal ?? ''];
  return Number(number) * factor;
}

const GO_DURATION_UNITS: Readonly<Record<string, number>> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
const GO_DURATION = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/;
const GO_DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g;

/**
 * Seconds of an Argo DurationString (pause.duration): an integer (or integer string) is seconds, anything
 * else is read by Go's time.ParseDuration (`10m`, `1h30m`, `1.5h`).
 */
export function parseArgoDuration(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  if (/^\d+$/.test(value)) return Number(value);
  if (!GO_DURATION.test(value)) return null;
  let seconds = 0;
  for (const [, number, unit] of value.matchAll(GO_DURATION_PART)) seconds += Number(number) * GO_DURATION_UNITS[unit];
  return seconds;
}

const SLEEP_SUFFIXES: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds of a GNU `sleep` argument: a number with an optional s/m/h/d suffix. */
export function parseSleepArgument(value: string): number | null {
  const match = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(value);
  return match === null ? null : Number(match[1]) * SLEEP_SUFFIXES[match[2]];
}
