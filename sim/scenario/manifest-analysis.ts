import { InputError } from '../errors.js';
import type { FieldPath, ManifestReader } from './manifest-reader.js';
import { parseArgoDuration } from './manifest-units.js';

/**
 * Argo `AnalysisTemplate` / `ClusterAnalysisTemplate` documents as the scenario's `rollout.analysisTemplates`.
 * Prometheus is not simulated, so each metric's PromQL is read for what it measures and replaced by the
 * simulated telemetry of the new version (what a canary or preview analysis looks at):
 *   histogram_quantile(0.5 | 0.95 | 0.99, …time_to_first_token | time_per_output_token | inter_token_latency |
 *     e2e_request_latency…_bucket[w])            ⇒ new.ttftP95Ms / 1000 (seconds, as Prometheus has them)
 *   rate(…latency…_sum[w]) / rate(…_count[w])     ⇒ new.ttftMeanMs / 1000 (…)
 *   a ratio with failure / error / 5xx on top     ⇒ new.errorRate;  with success on top ⇒ 1 - new.errorRate
 *   rate(…failure | error | 5xx…[w]) alone        ⇒ failed requests per second over w
 * The range `[w]` becomes the metric's window; `result[0]` in a condition becomes `result` (the simulated query
 * gives one number, Prometheus a one-element vector). Anything else is refused, one line per metric, so a
 * template is never half-imported.
 */

type Fragment = Record<string, unknown>;

const KINDS = new Set(['AnalysisTemplate', 'ClusterAnalysisTemplate']);
const LATENCIES: readonly [RegExp, string][] = [
  [/time_to_first_token/, 'ttft'],
  [/time_per_output_token|inter_token_latency/, 'tpot'],
  [/e2e_request_latency|request_latency|request_duration/, 'e2e'],
];
const QUANTILES: Readonly<Record<string, string>> = { '0.5': 'P50', '0.95': 'P95', '0.99': 'P99' };
const FAILURE = /fail|error|code\s*=~?\s*"5|status\s*=~?\s*"5|5xx/i;
const SUCCESS = /success/i;
const RANGE = /\[([0-9a-z.]+)\]/;
const SUPPORTED =
  'expected a histogram_quantile (0.5, 0.95, 0.99) or a mean of vLLM time_to_first_token, time_per_output_token or ' +
  'e2e_request_latency, an error or success ratio, or a rate of failed requests';

export function isAnalysisTemplate(doc: Record<string, unknown>): boolean {
  return typeof doc.kind === 'string' && KINDS.has(doc.kind);
}

/** The template's name and its scenario form; throws one InputError listing every metric that cannot be simulated. */
export function importAnalysisTemplate(r: ManifestReader): { name: string; template: Fragment } {
  r.markRead(['apiVersion']);
  r.markRead(['kind']);
  const name = r.string(['metadata', 'name']) ?? r.fail(['metadata', 'name'], 'missing; expected the template name the Rollout refers to');
  r.markRead(['metadata']);
  // Arguments only fill in the PromQL's label values, which the simulated telemetry does not need.
  r.markRead(['spec', 'args']);
  const refused: string[] = [];
  const metrics = r.list(['spec', 'metrics']).map((_, i) => {
    const path = ['spec', 'metrics', i];
    try {
      return importMetric(r, path);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      // The field without the file's name, which the one error gives once.
      refused.push(`${(err.path ?? '').replace(`${r.where}: `, '')}: ${err.detail}`);
      return null;
    }
  });
  if (metrics.length === 0) r.fail(['spec', 'metrics'], 'missing; expected at least one metric');
  if (refused.length > 0) {
    throw new InputError(
      `${refused.length} metric(s) cannot be simulated:\n  - ${refused.join('\n  - ')}\n` +
        `write them by hand under spec.rollout.analysisTemplates.${name} (queries read new.*, old.*, all.*)`,
      r.where,
    );
  }
  return { name, template: { metrics } };
}

function importMetric(r: ManifestReader, path: FieldPath): Fragment {
  const name = r.string([...path, 'name']) ?? r.fail([...path, 'name'], 'missing');
  const out: Fragment = { name };
  const provider = r.object([...path, 'provider']) ?? r.fail([...path, 'provider'], 'missing; expected provider.prometheus');
  const kinds = Object.keys(provider);
  if (kinds.length !== 1 || kinds[0] !== 'prometheus') {
    r.fail([...path, 'provider'], `${kinds.join(', ')} is not simulated; only prometheus queries are mapped to simulated telemetry`);
  }
  r.markRead([...path, 'provider', 'prometheus', 'address']);
  const promql = r.string([...path, 'provider', 'prometheus', 'query']) ?? r.fail([...path, 'provider', 'prometheus', 'query'], 'missing');
  const mapped = mapQuery(promql);
  if (typeof mapped === 'string') r.fail([...path, 'provider', 'prometheus', 'query'], `${JSON.stringify(promql)}: ${mapped}`);
  out.query = mapped.query;
  if (mapped.window !== undefined) out.window = mapped.window;
  for (const field of ['interval', 'initialDelay']) {
    const value = r.take([...path, field]);
    if (value === undefined || value === null) continue;
    const seconds = parseArgoDuration(value);
    if (seconds === null) r.fail([...path, field], `${JSON.stringify(value)} is not a duration; expected seconds or a Go duration such as 30s`);
    out[field] = seconds;
  }
  for (const field of ['count', 'failureLimit', 'inconclusiveLimit', 'consecutiveErrorLimit', 'consecutiveSuccessLimit']) {
    const value = r.int([...path, field], field === 'failureLimit' ? -1 : 0);
    if (value !== undefined) out[field] = value;
  }
  for (const field of ['successCondition', 'failureCondition']) {
    const condition = r.string([...path, field]);
    if (condition !== undefined) out[field] = condition.replace(/\bresult\s*\[\s*0\s*\]/g, 'result');
  }
  return out;
}

/** The simulated query (and window) for a PromQL text, or why it is refused. */
function mapQuery(promql: string): { query: string; window?: number } | string {
  const text = promql.replace(/\s+/g, ' ');
  const range = RANGE.exec(text);
  const window = range === null ? undefined : parseArgoDuration(range[1]) ?? undefined;
  const at = (query: string) => (window === undefined ? { query } : { query, window });
  const latency = LATENCIES.find(([pattern]) => pattern.test(text))?.[1];
  if (latency !== undefined) {
    const quantile = /histogram_quantile\s*\(\s*([0-9.]+)\s*,/.exec(text);
    if (quantile !== null) {
      const suffix = QUANTILES[String(Number(quantile[1]))];
      if (suffix === undefined) return `quantile ${quantile[1]} is not simulated; ${SUPPORTED}`;
      return at(`new.${latency}${suffix}Ms / 1000`);
    }
    if (/_sum\b/.test(text) && /_count\b/.test(text) && text.includes('/')) return at(`new.${latency}MeanMs / 1000`);
    return `a latency query that is neither a histogram_quantile nor a mean; ${SUPPORTED}`;
  }
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const numerator = text.slice(0, slash);
    if (FAILURE.test(numerator)) return at('new.errorRate');
    if (SUCCESS.test(numerator)) return at('1 - new.errorRate');
    return SUPPORTED;
  }
  if (FAILURE.test(text) && /\b(i?rate|increase)\s*\(/.test(text)) {
    if (window === undefined) return `a rate without a range; ${SUPPORTED}`;
    const perSecond = /\bincrease\s*\(/.test(text) ? '' : ` / ${window}`;
    return at(`(new.dropped + new.rejected + new.timedOut)${perSecond}`);
  }
  return SUPPORTED;
}
