import { gridFields, LATENCY_LABELS, SUMMARY_LATENCY } from '../sim/metrics/latency-fields.js';
import type { LatencyStats, Summary } from '../sim/metrics/summary-types.js';
import type { RunResult } from '../sim/run/result.js';
import {
  MISSING,
  formatCount,
  formatDecimal,
  formatDuration,
  formatMs,
  formatPercent,
  formatRatio,
} from './format.js';

/** A table of plain text cells; each output format escapes and lays it out its own way. */
export interface TextTable {
  header: string[];
  rows: string[][];
}

/** The headline figures of a run, one row per topic: what a reviewer wants to see in a PR. */
export function keyFiguresTable(result: RunResult): TextTable {
  const { summary } = result;
  return {
    header: ['', result.scenario.name],
    rows: [
      ['Run', `${summary.strategy} · seed ${summary.seed} · ${formatDuration(summary.simulatedSeconds)} simulated`],
      ['Requests', requestsLine(summary.requests)],
      ['Failures by cause', causesLine(summary.requests)],
      ['Drop risk', dropRiskLine(summary)],
      ['TTFT p95', latencyLine(summary.latency)],
      ['Rollout', rolloutLine(summary.rollout)],
      ['Capacity', capacityLine(summary.capacity)],
      ['Goodput', goodputLine(summary.goodput.sloAttainment, result.scenario.slo)],
      ...(summary.prefixCache.hitRate === null ? [] : [['Prefix cache', prefixCacheLine(summary.prefixCache)]]),
    ],
  };
}

/** Shown when the servers looked prompts up in their prefix caches at all. */
function prefixCacheLine(p: Summary['prefixCache']): string {
  const parts = [`hit rate ${formatPercent(p.hitRate)}`];
  if (p.rolloutHitRate !== null) parts.push(`baseline ${formatPercent(p.baselineHitRate)} → rollout ${formatPercent(p.rolloutHitRate)}`);
  if (p.rolloutMinWindowHitRate !== null) {
    const dip = p.dip === null ? '' : ` (${formatDecimal(p.dip * 100, 1)} points below the baseline)`;
    parts.push(`worst rollout window ${formatPercent(p.rolloutMinWindowHitRate)}${dip}`);
  }
  return parts.join(' · ');
}

/** Latency figures side by side for the whole run, the baseline before the rollout, and the rollout. */
export function latencyTable(latency: Summary['latency']): TextTable {
  const columns: LatencyStats[] = [latency.overall, latency.baseline, latency.rollout];
  const row = (label: string, pick: (s: LatencyStats) => number | null): string[] => [
    label,
    ...columns.map((s) => formatMs(pick(s))),
  ];
  return {
    header: ['', 'Overall', 'Baseline', 'Rollout'],
    rows: [
      ...gridFields(SUMMARY_LATENCY).map((field) =>
        row(`${LATENCY_LABELS[field.metric]} ${field.statistic}`, (s) => s[field.name]),
      ),
      ['Completed requests', ...columns.map((s) => formatCount(s.samples))],
    ],
  };
}

function requestsLine(r: Summary['requests']): string {
  const parts = [
    `${formatCount(r.arrived)} arrived`,
    `${formatCount(r.completed)} completed`,
    `${formatCount(r.dropped)} dropped`,
    `${formatCount(r.rejected)} rejected`,
    `${formatCount(r.timedOut)} timed out`,
    `${formatCount(r.inFlightAtEnd)} in flight at the end`,
    `${formatCount(r.retries)} ${r.retries === 1 ? 'retry' : 'retries'}`,
  ];
  if (r.droppedStreamedTokens > 0) parts.push(`${formatCount(r.droppedStreamedTokens)} tokens lost in dropped streams`);
  return parts.join(' · ');
}

/** "0.41 generations expected to be cut (P(any) 33%), 0 sampled" — the estimator next to the one sample. */
function dropRiskLine(summary: Summary): string {
  const { requests, risk } = summary;
  if (risk.dropEstimator === 'sample') return `${formatCount(requests.dropped)} dropped (lengths replayed: the sample is exact)`;
  const pct = risk.pAnyDrop * 100;
  const pAny = pct === 0 ? '0%' : pct < 0.01 ? '<0.01%' : `${Number(pct.toPrecision(2))}%`;
  return `${Number(requests.expectedDropped.toPrecision(3))} expected dropped, P(at least one) ${pAny}; ${formatCount(requests.dropped)} in this sample`;
}

function causesLine(r: Summary['requests']): string {
  const groups = [
    ['dropped', r.droppedByCause],
    ['rejected', r.rejectedByCause],
    ['timed out', r.timedOutByCause],
  ] as const;
  const parts = groups
    .filter(([, byCause]) => Object.keys(byCause).length > 0)
    .map(
      ([label, byCause]) =>
        `${label}: ${Object.entries(byCause)
          .map(([cause, n]) => `${cause} ${formatCount(n)}`)
          .join(', ')}`,
    );
  return parts.length > 0 ? parts.join('; ') : 'none';
}

function latencyLine(latency: Summary['latency']): string {
  const { baseline, rollout, peakWindow, spikeRatio } = latency;
  const peak =
    peakWindow.ttftP95Ms === null ? `peak ${MISSING}` : `peak ${formatMs(peakWindow.ttftP95Ms)} at ${formatDuration(peakWindow.at)}`;
  return `baseline ${formatMs(baseline.ttftP95Ms)} → rollout ${formatMs(rollout.ttftP95Ms)} · ${peak} · spike ${formatRatio(spikeRatio)}`;
}

function rolloutLine(rollout: Summary['rollout']): string {
  if (rollout.outcome === 'none') return 'no rollout';
  const parts = [`${rollout.outcome} after ${formatDuration(rollout.durationSeconds)}`];
  if (rollout.startedAt !== null) {
    parts.push(`${formatDuration(rollout.startedAt)} → ${formatDuration(rollout.finishedAt)}`);
  }
  if (rollout.minReadyReplicas !== null) parts.push(`at least ${formatCount(rollout.minReadyReplicas)} ready replicas`);
  if (rollout.reason) parts.push(rollout.reason);
  if (rollout.blockedBy !== undefined && rollout.blockedBy !== 'none') {
    parts.push(`blocked by ${rollout.blockedBy}${rollout.fix ? ` · fix (verified): ${rollout.fix}` : ''}`);
  }
  return parts.join(' · ');
}

function capacityLine(c: Summary['capacity']): string {
  return [
    `${formatCount(c.clusterGpus)} GPUs in the cluster`,
    `steady ${formatCount(c.steadyGpus)}`,
    `peak ${formatCount(c.peakGpus)} (+${formatCount(c.surgeGpus)} surge)`,
    `${formatDecimal(c.gpuHours, 2)} GPU-hours`,
    `${formatCount(c.pendingPodSeconds)} pending pod-seconds`,
    `${formatCount(c.nodesAdded)} nodes added`,
    ...(c.minExtraGpus === undefined || c.minExtraGpus === null ? [] : [extraGpusText(c.minExtraGpus)]),
  ].join(' · ');
}

function extraGpusText(gpus: number): string {
  return gpus === 0 ? 'no extra GPU needed: the rollout finishes given more time' : `${formatCount(gpus)} more GPUs would let the rollout finish`;
}

function goodputLine(attainment: number | null, slo: RunResult['scenario']['slo']): string {
  const limits = [
    slo.ttftP95 === undefined ? null : `TTFT ≤ ${formatMs(slo.ttftP95 * 1000)}`,
    slo.tpotP95 === undefined ? null : `TPOT ≤ ${formatMs(slo.tpotP95 * 1000)}`,
    slo.e2eP95 === undefined ? null : `E2E ≤ ${formatMs(slo.e2eP95 * 1000)}`,
  ].filter((limit) => limit !== null);
  if (limits.length === 0) return 'no SLO configured';
  return `${formatPercent(attainment)} of finished requests met the SLO (${limits.join(', ')})`;
}
