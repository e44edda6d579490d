/**
 * `estimate` for people: each figure rounded to three significant digits in the unit its name carries
 * (`…Bytes` in KiB/MiB/GiB, `…Ms` in ms, `…Seconds` in s); `--json` keeps full precision.
 */
import { formatCount } from '../../reports/format.js';

const SIGNIFICANT = 3;
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** 75.00021 → "75.0", 0.9039 → "0.904", 213.33 → "213", 487200 → "487,200". */
export function significant(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 10 ** SIGNIFICANT) return formatCount(value);
  if (value === 0) return '0';
  return Number.isInteger(value) ? String(value) : value.toPrecision(SIGNIFICANT);
}

/** 141107412992 → "131 GiB", 327680 → "320 KiB". */
export function formatBinaryBytes(bytes: number): string {
  let unit = 0;
  let scaled = bytes;
  while (Math.abs(scaled) >= 1024 && unit < BINARY_UNITS.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return `${unit === 0 ? formatCount(scaled) : significant(scaled)} ${BINARY_UNITS[unit]}`;
}

/** A figure by the unit its name ends with; `secondsInside` for the phases object, whose keys carry no unit. */
function formatFigure(key: string, value: unknown, secondsInside: boolean): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') return formatParts(value as Record<string, unknown>, key === 'startupPhases');
  if (typeof value !== 'number') return String(value);
  if (/Bytes(PerGpu)?$/.test(key)) return formatBinaryBytes(value);
  if (/BytesPerToken(PerGpu)?$/.test(key)) return `${formatBinaryBytes(value)}/token`;
  if (key.endsWith('Ms')) return `${significant(value)} ms`;
  if (key.endsWith('Seconds') || secondsInside) return `${significant(value)} s`;
  if (key.endsWith('TokensPerSec')) return `${significant(value)} tokens/s`;
  if (/[pP]arameters$/.test(key)) return `${significant(value / 1e9)} B`;
  return significant(value);
}

/** "gpu 22.1 ms · overhead 0.904 ms · total 23.0 ms": the unit moves from the key to the value. */
function formatParts(parts: Record<string, unknown>, seconds: boolean): string {
  return Object.entries(parts)
    .map(([key, value]) => `${key.replace(/(Ms|Seconds)$/, '')} ${formatFigure(key, value, seconds)}`)
    .join(' · ');
}

/** One `name  value` line per figure, in the order of the estimate. */
export function renderEstimateText(result: Readonly<Record<string, unknown>>): string {
  const rows = Object.entries(result).map(([key, value]) => `${key.padEnd(28)} ${formatFigure(key, value, false)}`);
  return `${rows.join('\n')}\n`;
}
