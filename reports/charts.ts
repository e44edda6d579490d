import type { TopLevelSpec } from 'vega-lite';
import { SERIES_LATENCY_FIELDS, type SeriesRow } from '../sim/metrics/series.js';
import type { RunResult } from '../sim/run/result.js';

type LayeredSpec = Extract<TopLevelSpec, { layer: unknown }>;
type Layer = LayeredSpec['layer'][number];

/** A chart of a run: `id` names its HTML element and SVG file. */
export interface ChartSpec {
  id: string;
  title: string;
  spec: LayeredSpec;
}

const WIDTH = 720;
const HEIGHT = 220;

/** Per-window figures cover (t − window, t]: drawn as steps ending at t. Gauges hold from their sample on. */
const WINDOW_STEP = 'step-before';
const GAUGE_STEP = 'step-after';
type Step = typeof WINDOW_STEP | typeof GAUGE_STEP;

/** One point of a long-format line: `series` names the line, `order` stacks areas in a fixed order. */
interface Point {
  minutes: number;
  series: string;
  value: number;
  order: number;
}

/** The x encoding every layer shares: minutes over the whole run, so all charts line up. */
function timeAxis(result: RunResult, field: string) {
  return {
    field,
    type: 'quantitative' as const,
    title: 'time (min)',
    scale: { domain: [0, result.summary.simulatedSeconds / 60] },
    // About a dozen labels whatever the run's length (every half minute of a 12-minute run was unreadable).
    axis: { tickCount: 12 },
  };
}

/**
 * A y scale from 0 with room above the highest value: a line at the maximum (16 ready replicas, every
 * allocatable GPU) would otherwise sit on the chart's top edge and vanish into its frame.
 */
function yScaleAbove(values: readonly number[]) {
  const highest = values.reduce((max, v) => Math.max(max, v), 0);
  return highest > 0 ? { zero: true, nice: true, domainMax: highest * 1.08 } : { zero: true };
}

/** Long-format points of the given columns (labelled), skipping windows without a value. */
function points(series: readonly SeriesRow[], columns: readonly (readonly [string, keyof SeriesRow])[], scale = 1): Point[] {
  const out: Point[] = [];
  for (const row of series) {
    columns.forEach(([label, column], order) => {
      const value = row[column];
      if (value !== null) out.push({ minutes: row.t / 60, series: label, value: value * scale, order });
    });
  }
  return out;
}

/** The rollout phases as shaded bands behind a chart (fill has its own legend, apart from the lines' colours). */
function phaseBands(result: RunResult): Layer[] {
  if (result.phases.length === 0) return [];
  return [
    {
      data: { values: result.phases.map((p) => ({ phase: p.name, start: p.start / 60, end: p.end / 60 })) },
      mark: { type: 'rect', opacity: 0.14 },
      encoding: {
        x: timeAxis(result, 'start'),
        x2: { field: 'end' },
        // The legend's swatches take the bands' faint opacity unless told otherwise.
        fill: { field: 'phase', type: 'nominal', title: 'rollout phase', scale: { scheme: 'set2' }, legend: { symbolOpacity: 0.6 } },
        tooltip: [{ field: 'phase', type: 'nominal' }],
      },
    },
  ];
}

function chart(result: RunResult, id: string, title: string, layers: Layer[], extra: Partial<LayeredSpec> = {}): ChartSpec {
  return {
    id,
    title,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title,
      width: WIDTH,
      height: HEIGHT,
      layer: [...phaseBands(result), ...layers],
      ...extra,
    },
  };
}

interface LineStyle {
  yTitle: string;
  legendTitle: string;
  interpolate: Step;
  colors?: { domain: string[]; range: string[] };
  /** The y scale, when the layer shares it with others (default: from 0 with room above this layer's values). */
  yScale?: ReturnType<typeof yScaleAbove>;
}

function lines(result: RunResult, values: Point[], style: LineStyle): Layer {
  return {
    data: { values },
    mark: { type: 'line', interpolate: style.interpolate },
    encoding: {
      x: timeAxis(result, 'minutes'),
      y: { field: 'value', type: 'quantitative', title: style.yTitle, scale: style.yScale ?? yScaleAbove(values.map((p) => p.value)) },
      color: {
        field: 'series',
        type: 'nominal',
        title: style.legendTitle,
        ...(style.colors ? { scale: style.colors } : {}),
      },
    },
  };
}

/** Areas stacked in column order (the first column at the bottom). */
function stackedAreas(
  result: RunResult,
  values: Point[],
  yTitle: string,
  legendTitle: string,
  colors?: LineStyle['colors'],
  yScale?: LineStyle['yScale'],
): Layer {
  return {
    data: { values },
    mark: { type: 'area', interpolate: GAUGE_STEP, opacity: 0.85 },
    encoding: {
      x: timeAxis(result, 'minutes'),
      y: { field: 'value', type: 'quantitative', stack: 'zero', title: yTitle, ...(yScale ? { scale: yScale } : {}) },
      color: { field: 'series', type: 'nominal', title: legendTitle, ...(colors ? { scale: colors } : {}) },
      order: { field: 'order', type: 'quantitative' },
    },
  };
}

function ttftChart(result: RunResult): ChartSpec {
  const ttft = SERIES_LATENCY_FIELDS.filter((field) => field.metric === 'ttft');
  const values = points(result.series, ttft.map((field) => [field.statistic, field.name]));
  return chart(result, 'ttft', 'Time to first token per window', [
    lines(result, values, { yTitle: 'TTFT (ms)', legendTitle: 'percentile', interpolate: WINDOW_STEP }),
  ]);
}

/** Ready pods by version; with an autoscaler, the replicas it asks for (spec.replicas) as a third line. */
function readyChart(result: RunResult): ChartSpec {
  const autoscaled = result.summary.autoscaling !== undefined;
  const values = points(result.series, [
    ['old', 'readyOld'],
    ['new', 'readyNew'],
    ...(autoscaled ? ([['desired (HPA)', 'desiredReplicas']] as const) : []),
  ]);
  const colors = autoscaled
    ? { domain: ['old', 'new', 'desired (HPA)'], range: ['#6f6f6f', '#1f77b4', '#d62728'] }
    : { domain: ['old', 'new'], range: ['#6f6f6f', '#1f77b4'] };
  return chart(result, 'ready', autoscaled ? 'Ready replicas by version and desired replicas' : 'Ready replicas by version', [
    lines(result, values, { yTitle: 'ready replicas', legendTitle: 'version', interpolate: GAUGE_STEP, colors }),
  ]);
}

/** Held GPUs stacked by pod stage under the allocatable line: the gap between them is the surge headroom. */
function gpuChart(result: RunResult): ChartSpec {
  const colors = {
    domain: ['serving', 'starting', 'draining', 'allocatable'],
    range: ['#4c78a8', '#f58518', '#e45756', '#222222'],
  };
  const held = points(result.series, [
    ['serving', 'gpusServing'],
    ['starting', 'gpusStarting'],
    ['draining', 'gpusDraining'],
  ]);
  const allocatable = points(result.series, [['allocatable', 'gpusAllocatable']]);
  // Both layers share one y scale, with room above the higher of the line and the stack.
  const yScale = yScaleAbove(result.series.map((r) => Math.max(r.gpusAllocatable, r.gpusServing + r.gpusStarting + r.gpusDraining)));
  return chart(result, 'gpus', 'GPUs held against allocatable GPUs', [
    stackedAreas(result, held, 'GPUs', 'GPUs', colors, yScale),
    lines(result, allocatable, { yTitle: 'GPUs', legendTitle: 'GPUs', interpolate: GAUGE_STEP, colors, yScale }),
  ]);
}

/** Failures per window as bars over the window, stacked here (vega-lite does not stack ranged bars). */
function failuresChart(result: RunResult): ChartSpec {
  const outcomes = [
    ['dropped', 'dropped'],
    ['rejected', 'rejected'],
    ['timed out', 'timedOut'],
  ] as const;
  const values = result.series.flatMap((row) => {
    let low = 0;
    return outcomes
      .filter(([, column]) => row[column] > 0)
      .map(([outcome, column]) => {
        const bar = { start: (row.t - row.windowSeconds) / 60, end: row.t / 60, outcome, low, high: low + row[column] };
        low = bar.high;
        return bar;
      });
  });
  const bars: Layer = {
    data: { values },
    mark: { type: 'rect' },
    encoding: {
      x: timeAxis(result, 'start'),
      x2: { field: 'end' },
      // Whole requests: no 0.5 ticks. With no failures the scale needs a domain of its own (no data, no extent).
      y: {
        field: 'low',
        type: 'quantitative',
        title: 'requests per window',
        axis: { tickMinStep: 1, format: 'd' },
        ...(values.length === 0 ? { scale: { domain: [0, 1] } } : {}),
      },
      y2: { field: 'high' },
      color: {
        field: 'outcome',
        type: 'nominal',
        title: 'outcome',
        scale: { domain: outcomes.map(([outcome]) => outcome), range: ['#e45756', '#f58518', '#b279a2'] },
      },
      tooltip: [
        { field: 'outcome', type: 'nominal' },
        { field: 'end', type: 'quantitative', title: 'window end (min)' },
      ],
    },
  };
  if (values.length > 0) return chart(result, 'failures', 'Drops, rejections and time-outs per window', [bars]);
  // An empty chart with a lone 0 tick reads as broken: say that nothing failed.
  const none: Layer = {
    data: { values: [{}] },
    mark: { type: 'text', text: 'no drops, rejections or time-outs', fontSize: 14, color: '#555' },
    encoding: {
      x: { datum: result.summary.simulatedSeconds / 120, type: 'quantitative', scale: timeAxis(result, 'start').scale },
      y: { datum: 0.5, type: 'quantitative', scale: { domain: [0, 1] } },
    },
  };
  return chart(result, 'failures', 'Drops, rejections and time-outs per window', [bars, none]);
}

function queueChart(result: RunResult): ChartSpec {
  const queued = points(result.series, [
    ['server queues', 'waiting'],
    ['gateway queue', 'gatewayQueue'],
  ]);
  const kv: Layer = {
    data: { values: points(result.series, [['KV-cache use', 'kvUsage']], 100) },
    mark: { type: 'line', interpolate: GAUGE_STEP },
    encoding: {
      x: timeAxis(result, 'minutes'),
      y: { field: 'value', type: 'quantitative', title: 'KV-cache use (%)', scale: { domain: [0, 100] } },
      // Its own legend entry: the line is otherwise unexplained beside the stacked queues.
      stroke: { field: 'series', type: 'nominal', title: 'right axis', scale: { domain: ['KV-cache use'], range: ['#54a24b'] } },
    },
  };
  return chart(result, 'queue', 'Queue depth and KV-cache use', [stackedAreas(result, queued, 'requests waiting', 'queue'), kv], {
    resolve: { scale: { y: 'independent', stroke: 'independent' } },
  });
}

/** The fleet's prefix-cache hit rate per window: where a rollout wave empties caches, it dips. */
function prefixCacheChart(result: RunResult): ChartSpec {
  const values = points(result.series, [['prefix-cache hits', 'prefixHitRate']], 100);
  const colors = { domain: ['prefix-cache hits'], range: ['#9467bd'] };
  return chart(result, 'prefix-cache', 'Prefix-cache hit rate per window (share of prompt tokens looked up)', [
    lines(result, values, { yTitle: 'hit rate (%)', legendTitle: 'tokens', interpolate: WINDOW_STEP, colors, yScale: { zero: true, nice: false, domainMax: 100 } }),
  ]);
}

/** Every chart of a run, in report order; the prefix-cache chart only when a server looked a prompt up. */
export function buildCharts(result: RunResult): ChartSpec[] {
  const charts = [ttftChart(result), readyChart(result), gpuChart(result), failuresChart(result), queueChart(result)];
  if (result.summary.prefixCache.hitRate !== null) charts.push(prefixCacheChart(result));
  return charts;
}
