/** Number formatting for what people read (Markdown, HTML); machine outputs keep full precision. */

export const MISSING = '—';

/** 12345.6 → "12,346". */
export function formatCount(n: number): string {
  const rounded = Math.round(n);
  const sign = rounded < 0 ? '-' : '';
  return sign + String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Latency: "0.85 ms", "42 ms", "1.25 s", "12.3 s", "2m 5s". */
export function formatMs(ms: number | null): string {
  if (ms === null) return MISSING;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatDuration(ms / 1000);
}

/** Simulated time: "45 s", "12m 5s", "2h 3m". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return MISSING;
  if (seconds < 60) return `${Number(seconds.toFixed(1))} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${whole % 60}s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

/** 0.9854 → "98.5%". */
export function formatPercent(fraction: number | null): string {
  return fraction === null ? MISSING : `${(fraction * 100).toFixed(1)}%`;
}

/** 3.14159 → "×3.1". */
export function formatRatio(ratio: number | null): string {
  return ratio === null ? MISSING : `×${ratio.toFixed(1)}`;
}

/** A measured quantity with `digits` decimals and thousands separators for the integer part. */
export function formatDecimal(value: number, digits: number): string {
  const [whole, fraction] = Math.abs(value).toFixed(digits).split('.');
  const sign = value < 0 && Number(value.toFixed(digits)) !== 0 ? '-' : '';
  return sign + formatCount(Number(whole)) + (fraction ? `.${fraction}` : '');
}
