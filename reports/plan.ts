import type { PlanTiming } from '../sim/plan/timing.js';
import type { TopLevelSpec } from 'vega-lite';
import type { Estimate } from '../sim/batch/confidence.js';
import type { ConstraintCheck, ConstraintKey } from '../sim/plan/constraints.js';
import type { LossReason } from '../sim/plan/explain.js';
import { percent, type ConstraintRisk } from '../sim/plan/risk.js';
import type { SeedFailure } from '../sim/plan/verify.js';
import type { CandidateReport, FailedConstraint, PlanResult, Recommendation } from '../sim/plan/plan.js';
import { writeOutputFolder } from './atomic-write.js';
import { escapeHtml, escapeMarkdownCell } from './escape.js';
import { MISSING } from './format.js';
import { htmlTable, renderChartPage, type PageChart } from './html.js';
import { markdownTable } from './markdown.js';
import { formatDifference, formatEstimateIn, formatInUnit } from './plan-format.js';
import type { TextTable } from './summary-table.js';

/**
 * The plan as people read it: the recommendation with its margin to every constraint, the command that
 * re-runs it and the strategy snippet to paste, its rejected neighbours, the Pareto front, every candidate and
 * what was pruned. Markdown for a PR, HTML with the Pareto charts.
 */

// ------------------------------------------------------------------------------------------------ tables

function marginsTable(checks: readonly ConstraintCheck[]): TextTable {
  return {
    header: ['constraint', 'limit', 'mean ± 95% CI', 'worst seed', 'margin'],
    rows: checks.map((c) => [c.label, formatInUnit(c.unit, c.limit), formatEstimateIn(c.unit, c.estimate), formatInUnit(c.unit, c.worst), marginText(c)]),
  };
}

function marginText(c: ConstraintCheck): string {
  if (c.margin === null) return `not measured on ${seedCount(c.failedSeeds)}`;
  const relative = c.limit > 0 ? ` (${Math.round((c.margin / c.limit) * 100)}%)` : '';
  return c.passed ? `${formatDifference(c.unit, c.margin)}${relative}` : `over by ${formatDifference(c.unit, -c.margin)}`;
}

const seedCount = (n: number): string => `${n} seed${n === 1 ? '' : 's'}`;

/** "TPOT p95 during the rollout 116 ms, limit 100 ms: over by 16 ms on 3 seeds". */
export function failureText(f: FailedConstraint, unit: ConstraintCheck['unit']): string {
  if (f.worst === null) return `${f.label}: not measured on ${seedCount(f.failedSeeds)}`;
  const by = f.by === null ? '' : ` by ${formatDifference(unit, f.by)}`;
  return `${f.label} ${formatInUnit(unit, f.worst)}, limit ${formatInUnit(unit, f.limit)}: over${by} on ${seedCount(f.failedSeeds)}`;
}

function unitOf(plan: PlanResult, key: FailedConstraint['constraint']): ConstraintCheck['unit'] {
  return (plan.constraints.find((c) => c.key === key)?.unit ?? 'requests') as ConstraintCheck['unit'];
}

function resultText(plan: PlanResult, failed: readonly FailedConstraint[]): string {
  return failed.length === 0 ? 'meets every constraint' : failed.map((f) => failureText(f, unitOf(plan, f.constraint))).join('; ');
}

function neighboursTable(plan: PlanResult, rec: Recommendation): TextTable {
  return {
    header: ['candidate', 'change', 'result'],
    rows: rec.neighbours.map((n) => [
      n.id,
      Object.entries(n.differsIn).map(([knob, change]) => `${knob} ${change}`).join(', '),
      n.feasible ? 'also meets every constraint on these seeds' : resultText(plan, n.failed),
    ]),
  };
}

function figure(c: CandidateReport, key: keyof CandidateReport['metrics']): Estimate | null {
  return c.metrics[key];
}

function candidatesTable(plan: PlanResult): TextTable {
  return {
    header: ['id', 'rank', 'stage', 'configuration', 'extra GPU-hours', 'peak GPUs', 'rollout', 'spike', 'result'],
    rows: plan.candidates.map((c) => [
      c.id,
      c.rank === null ? MISSING : String(c.rank),
      c.stage,
      c.label,
      formatEstimateIn('GPU-hours', figure(c, 'extraGpuHours')),
      formatEstimateIn('GPUs', figure(c, 'peakGpus')),
      formatEstimateIn('seconds', figure(c, 'rolloutSeconds')),
      formatEstimateIn('ratio', figure(c, 'spikeRatio')),
      resultText(plan, c.failed),
    ]),
  };
}

function paretoTable(plan: PlanResult): TextTable {
  return {
    header: ['id', 'configuration', 'rollout', 'extra GPUs', 'spike', 'extra GPU-hours'],
    rows: plan.paretoFront.map((p) => [
      p.id,
      p.label,
      formatEstimateIn('seconds', p.rolloutSeconds),
      formatEstimateIn('GPUs', p.surgeGpus),
      formatEstimateIn('ratio', p.spikeRatio),
      formatEstimateIn('GPU-hours', p.extraGpuHours),
    ]),
  };
}

function prunedTable(plan: PlanResult): TextTable {
  return { header: ['stage', 'configuration', 'why not run'], rows: plan.pruned.map((p) => [p.stage, p.label, p.reason]) };
}

// ------------------------------------------------------------------------------------------------ text

/** "72 simulations: 24 configurations × 3 seeds (common random numbers); 9 ruled out without running." */
export function runsLine(plan: PlanResult): string {
  const stages = Object.entries(plan.runsByStage).map(([stage, runs]) => `${stage} ${runs}`).join(', ');
  return (
    `${plan.runs} simulations: ${plan.candidates.length} configurations × ${plan.seeds.length} seeds ` +
    `(the same seeds ${plan.seeds.join(', ')} for all)${verifyRuns(plan)}; ${plan.pruned.length} ruled out without running. Runs by stage: ${stages}.`
  );
}

function riskTable(rec: Recommendation, plan: PlanResult): TextTable {
  return {
    header: ['constraint', 'violations', `upper bound (${percent(rec.risk[0]?.confidence ?? 0.95)} confidence)`, 'acceptable', 'decision'],
    rows: rec.risk.map((r) => [
      labelOf(plan, r.key),
      `${r.violations} in ${seedCount(r.seeds)}`,
      r.estimate === null ? `below ${percent(r.upperBound, 'up')}` : `estimated ${percent(r.estimate)}, below ${percent(r.upperBound, 'up')}`,
      percent(r.acceptable),
      riskDecision(r),
    ]),
  };
}

function riskDecision(r: ConstraintRisk): string {
  switch (r.status) {
    case 'holds':
      return 'holds at this risk';
    case 'undecided':
      return r.method === 'estimator' ? 'undecided: more seeds would narrow it' : `undecided: needs ${r.seedsNeeded} clean seeds`;
    case 'exceeds':
      return 'estimated above the acceptable risk';
    case 'violated':
      return 'violated';
  }
}

const labelOf = (plan: PlanResult, key: ConstraintKey): string => plan.constraints.find((c) => c.key === key)?.label ?? key;

/** "Verified on 10 fresh seeds (4 to 13): 10 passed, 0 failed; 46 more seeds to bound the risk." */
export function verificationLine(plan: PlanResult, rec: Recommendation): string {
  const v = rec.verification;
  if (v === null) return `Not verified on fresh seeds (--verify-seeds 0): the risks rest on the ${seedCount(plan.seeds.length)} of the search.`;
  const range = v.seedList.length === 0 ? '' : ` (${v.seedList[0]} to ${v.seedList[v.seedList.length - 1]})`;
  const extra = v.extraSeeds.length === 0 ? '' : `; ${v.extraSeeds.length} more fresh seeds, all passed, to bound the risk`;
  return `Verified on ${v.seeds} fresh seeds${range} the search never used: ${v.passed} passed, ${v.failed} failed${extra}.`;
}

/** One sentence on what the seeds establish, naming the constraints that decided. */
export function riskLine(plan: PlanResult, rec: Recommendation): string {
  const bySeeds = rec.risk.filter((r) => r.method === 'seeds');
  const estimated = rec.risk.filter((r) => r.method === 'estimator').map((r) => `${capitalise(r.claim)}.`);
  const first = bySeeds[0];
  if (first === undefined) return estimated.join(' ');
  const undecided = bySeeds.filter((r) => r.status === 'undecided');
  const bound =
    `${first.violations} violations of any constraint in ${seedCount(rec.riskSeeds)}: the per-rollout probability of violating each ` +
    `is below ${percent(first.upperBound, 'up')} at ${percent(first.confidence)} confidence`;
  const seedsLine =
    undecided.length === 0
      ? `${bound}, within the acceptable ${percent(first.acceptable)} (--risk).`
      : `${bound}. That does not establish the acceptable ${percent(first.acceptable)} (--risk) for ${undecided.map((r) => labelOf(plan, r.key)).join(', ')}: ` +
        `it takes ${first.seedsNeeded} seeds without a violation; the cap is ${plan.risk.maxSeeds} (--max-seeds).`;
  return [seedsLine, ...estimated].join(' ');
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function failuresText(plan: PlanResult, failures: readonly SeedFailure[]): string {
  return failures.map((f) => `${f.constraints.map((k) => labelOf(plan, k)).join(' and ')} on seed ${f.seed}`).join('; ');
}

function lossSentence(plan: PlanResult, who: string, reason: LossReason): string {
  switch (reason.kind) {
    case 'verification':
      if (reason.failures.length === 0) {
        return `${who} met every constraint on every seed, but the drop estimator puts its risk of ${reason.riskExceeded.map((k) => labelOf(plan, k)).join(' and ')} above the acceptable ${percent(plan.risk.risk)}.`;
      }
      return `${who} met every constraint on the search seeds but violated ${failuresText(plan, reason.failures)} (fresh seeds).`;
    case 'cost': {
      const unit = COST_UNITS[reason.metric];
      return `${who} meets every constraint but costs more: ${unit.label} ${formatInUnit(unit.unit, reason.other)} against ${formatInUnit(unit.unit, reason.recommended)}.`;
    }
    case 'constraint': {
      const unit = unitOf(plan, reason.constraint);
      const seeds = `on ${seedCount(reason.failedSeeds)}`;
      if (reason.worst === null) return `${who}: ${labelOf(plan, reason.constraint)} not measured ${seeds}.`;
      const by = formatDifference(unit, reason.worst - reason.limit);
      if (reason.constraint === 'completes') return `${who}: the rollout did not complete in the simulated time ${seeds}.`;
      const limit = formatInUnit(unit, reason.limit);
      const worst = formatInUnit(unit, reason.worst);
      if (reason.constraint === 'gpuBudget') return `${who} needs ${by} more GPUs than the budget of ${limit} (${worst} at the peak).`;
      if (reason.constraint === 'duration') return `${who} takes ${worst}, ${by} longer than the ${limit} allowed.`;
      return `${who}: ${labelOf(plan, reason.constraint)} ${worst}, over the limit of ${limit} by ${by} ${seeds}.`;
    }
  }
}

const COST_UNITS = {
  extraGpuHours: { label: 'extra GPU-hours', unit: 'GPU-hours' },
  peakGpus: { label: 'peak GPUs', unit: 'GPUs' },
  rolloutSeconds: { label: 'rollout duration', unit: 'seconds' },
  spikeRatio: { label: 'TTFT p95 spike', unit: 'ratio' },
} as const;

const changeText = (differsIn: Record<string, string>): string =>
  Object.entries(differsIn)
    .map(([knob, change]) => `${knob} ${change}`)
    .join(', ');

/** Why this configuration: a sentence per constraint the runner-up lost on, and the fix of the scenario as written. */
export function explanationLines(plan: PlanResult, rec: Recommendation): string[] {
  const out: string[] = [];
  const r = rec.explanation.runnerUp;
  if (r !== null) {
    const who = `The runner-up ${r.id} (${Object.keys(r.differsIn).length > 0 ? changeText(r.differsIn) : r.label})`;
    out.push(...r.reasons.map((reason) => lossSentence(plan, who, reason)));
  }
  const fix = rec.explanation.asWrittenFix;
  if (fix !== null) {
    const n = Object.keys(fix.differsIn).length;
    out.push(`The scenario as written passes with ${n} change${n === 1 ? '' : 's'}: ${changeText(fix.differsIn)} (${fix.id}).`);
  }
  for (const f of plan.failedVerification) out.push(`Not recommended: ${f.id} (${f.label}) violated ${failuresText(plan, f.failures)}, fresh seeds the search never used.`);
  return out;
}

function verifyRuns(plan: PlanResult): string {
  const fresh = (plan.runsByStage.verify ?? 0) + (plan.runsByStage.risk ?? 0);
  return fresh === 0 ? '' : ` + ${fresh} on fresh seeds (verification and risk)`;
}

function headline(rec: Recommendation): string {
  const m = rec.summary.metrics;
  return [
    `extra GPU-hours ${formatEstimateIn('GPU-hours', m.extraGpuHours)}`,
    `peak GPUs ${formatEstimateIn('GPUs', m.peakGpus)}`,
    `rollout ${formatEstimateIn('seconds', m.rolloutSeconds)}`,
    `spike ${formatEstimateIn('ratio', m.spikeRatio)}`,
  ].join(' · ');
}

function asWrittenLine(plan: PlanResult): string {
  const c = plan.candidates.find((x) => x.id === plan.asWritten);
  if (!c) return '';
  const cost = `extra GPU-hours ${formatEstimateIn('GPU-hours', c.metrics.extraGpuHours)}, peak GPUs ${formatEstimateIn('GPUs', c.metrics.peakGpus)}`;
  return c.feasible
    ? `The scenario as written (${c.id}) meets every constraint too, ranked ${c.rank} (${cost}).`
    : `The scenario as written (${c.id}) fails: ${resultText(plan, c.failed)} (${cost}).`;
}

/** The `rollout-sim run` command line that re-runs the recommendation (quoted for a POSIX shell). */
export function rerunCommand(plan: PlanResult, rec: Recommendation): string {
  const sets = [...plan.scenario.overrides, ...rec.set].flatMap((s) => ['--set', shellQuote(s)]);
  return ['rollout-sim run', shellQuote(plan.scenario.file), ...sets].join(' ');
}

function shellQuote(word: string): string {
  return /^[\w./%=:+,@-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function recommendationLines(plan: PlanResult, rec: Recommendation): string[] {
  return [
    `Recommended (${rec.id}): ${rec.label}`,
    `Backed by ${plan.seeds.length} seeds: ${headline(rec)}.`,
    verificationLine(plan, rec),
    riskLine(plan, rec),
    asWrittenLine(plan),
  ].filter((line) => line !== '');
}

// ------------------------------------------------------------------------------------------------ Markdown

/** plan.md: the plan as Markdown, ready to paste in a PR. */
export function renderPlanMarkdown(plan: PlanResult): string {
  const rec = plan.recommended;
  const out = [`### rollout-sim plan: ${escapeMarkdownCell(plan.scenario.name)}`, '', escapeMarkdownCell(runsLine(plan)), ''];
  if (rec === null) {
    out.push('**No configuration met every constraint.** The candidates below say what failed and by how much.', '');
  } else {
    const [first, ...rest] = recommendationLines(plan, rec);
    out.push(`**${escapeMarkdownCell(first)}**`, '', ...rest.map((l) => `${escapeMarkdownCell(l)}  `), '');
    out.push(markdownTable(marginsTable(rec.margins)), '', '#### Risk per rollout', '', markdownTable(riskTable(rec, plan)), '');
    const why = explanationLines(plan, rec);
    if (why.length > 0) out.push('#### Why this one', '', ...why.map((l) => `- ${escapeMarkdownCell(l)}`), '');
    out.push('Re-run it:', '', '```sh', rerunCommand(plan, rec), '```', '');
    out.push('Strategy snippet:', '', '```yaml', rec.snippet.trimEnd(), '```', '');
    if (rec.neighbours.length > 0) out.push('#### Neighbours', '', markdownTable(neighboursTable(plan, rec)), '');
  }
  out.push('#### Pareto front: rollout duration · extra GPUs · spike', '', markdownTable(paretoTable(plan)), '');
  out.push('#### Candidates, cheapest feasible first', '', markdownTable(candidatesTable(plan)), '');
  if (plan.pruned.length > 0) out.push('#### Ruled out without running', '', markdownTable(prunedTable(plan)), '');
  out.push('#### How the search went', '', ...plan.notes.map((n) => `- ${escapeMarkdownCell(n)}`), '');
  out.push(`<sub>scenario hash ${escapeMarkdownCell(plan.scenario.hash)} · figures are means ± 95% CI over the seeds</sub>`, '');
  return out.join('\n');
}

// ------------------------------------------------------------------------------------------------ HTML

type Status = 'recommended' | 'Pareto front' | 'feasible' | 'infeasible';
const STATUS_COLOURS = { domain: ['recommended', 'Pareto front', 'feasible', 'infeasible'], range: ['#d62728', '#1f77b4', '#9ecae1', '#bbbbbb'] };

interface ChartPoint {
  id: string;
  label: string;
  status: Status;
  strategy: string;
  minutes: number;
  minutesLo: number;
  minutesHi: number;
  extraGpus: number | null;
  spike: number | null;
}

/** Drawn in this order, so the recommendation lands on top of the points near it. */
const DRAW_ORDER: readonly Status[] = ['infeasible', 'feasible', 'Pareto front', 'recommended'];

function chartPoints(plan: PlanResult): ChartPoint[] {
  const front = new Set(plan.paretoFront.map((p) => p.id));
  const points = plan.candidates.flatMap((c): ChartPoint[] => {
    const d = c.metrics.rolloutSeconds;
    if (d === null) return [];
    const status: Status = c.id === plan.recommended?.id ? 'recommended' : front.has(c.id) ? 'Pareto front' : c.feasible ? 'feasible' : 'infeasible';
    return [
      {
        id: c.id,
        label: c.label,
        status,
        strategy: c.strategy,
        minutes: d.mean / 60,
        minutesLo: d.lo / 60,
        minutesHi: d.hi / 60,
        extraGpus: c.metrics.surgeGpus?.mean ?? null,
        spike: c.metrics.spikeRatio?.mean ?? null,
      },
    ];
  });
  return points.sort((a, b) => DRAW_ORDER.indexOf(a.status) - DRAW_ORDER.indexOf(b.status));
}

/** Rollout duration (with its 95% CI) against one objective; the recommendation and the front stand out. */
function paretoChart(points: ChartPoint[], id: string, field: 'extraGpus' | 'spike', title: string, yTitle: string): PageChart {
  const x = { field: 'minutes', type: 'quantitative' as const, title: 'rollout duration (min)' };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 640,
    height: 300,
    data: { values: points.filter((p) => p[field] !== null) },
    layer: [
      {
        mark: { type: 'rule', opacity: 0.5 },
        encoding: {
          x: { ...x, field: 'minutesLo' },
          x2: { field: 'minutesHi' },
          y: { field, type: 'quantitative' },
          color: { field: 'status', type: 'nominal', scale: STATUS_COLOURS },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 90 },
        encoding: {
          x,
          y: { field, type: 'quantitative', title: yTitle },
          color: { field: 'status', type: 'nominal', title: 'candidate', scale: STATUS_COLOURS },
          shape: { field: 'strategy', type: 'nominal', title: 'strategy' },
          tooltip: [
            { field: 'id', type: 'nominal' },
            { field: 'label', type: 'nominal', title: 'configuration' },
            { field: 'minutes', type: 'quantitative', title: 'rollout (min)', format: '.1f' },
            { field: 'extraGpus', type: 'quantitative', title: 'extra GPUs', format: '.1f' },
            { field: 'spike', type: 'quantitative', title: 'spike ratio', format: '.2f' },
          ],
        },
      },
      {
        transform: [{ filter: "datum.status === 'recommended'" }],
        mark: { type: 'text', dx: 8, align: 'left', fontWeight: 'bold' },
        encoding: { x, y: { field, type: 'quantitative' }, text: { field: 'id', type: 'nominal' } },
      },
    ],
  };
  return { id, spec };
}

function htmlSection(title: string, body: string): string {
  return `<h2>${escapeHtml(title)}</h2>\n${body}`;
}

const pre = (text: string): string => `<pre><code>${escapeHtml(text)}</code></pre>`;

/** plan.html: one offline page with the Pareto charts and every table of plan.md. */
export function renderPlanHtml(plan: PlanResult): string {
  const rec = plan.recommended;
  const sections = [`<p>${escapeHtml(runsLine(plan))}</p>`];
  if (rec === null) {
    sections.push('<p><strong>No configuration met every constraint.</strong> The candidates below say what failed and by how much.</p>');
  } else {
    const [first, ...rest] = recommendationLines(plan, rec);
    sections.push(`<p><strong>${escapeHtml(first)}</strong><br>${rest.map(escapeHtml).join('<br>')}</p>`);
    sections.push(htmlTable(marginsTable(rec.margins), 'margins'));
    sections.push(htmlSection('Risk per rollout', htmlTable(riskTable(rec, plan), 'risk')));
    const why = explanationLines(plan, rec);
    if (why.length > 0) sections.push(htmlSection('Why this one', `<ul>${why.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`));
    sections.push(htmlSection('Re-run it', pre(rerunCommand(plan, rec))));
    sections.push(htmlSection('Strategy snippet', pre(rec.snippet)));
    if (rec.neighbours.length > 0) sections.push(htmlSection('Neighbours', htmlTable(neighboursTable(plan, rec), 'neighbours')));
  }
  sections.push(htmlSection('Pareto front: rollout duration · extra GPUs · spike', htmlTable(paretoTable(plan), 'pareto')));
  const tables = [
    htmlSection('Candidates, cheapest feasible first', htmlTable(candidatesTable(plan), 'candidates')),
    ...(plan.pruned.length > 0 ? [htmlSection('Ruled out without running', htmlTable(prunedTable(plan), 'pruned'))] : []),
    htmlSection('How the search went', `<ul>${plan.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`),
  ];
  const points = chartPoints(plan);
  return renderChartPage({
    title: `rollout-sim plan: ${plan.scenario.name}`,
    meta: `scenario hash ${plan.scenario.hash} · figures are means ± 95% CI over seeds ${plan.seeds.join(', ')}`,
    sections: [...sections, ...tables, htmlSection('Pareto charts', '')],
    charts: [
      paretoChart(points, 'pareto-gpus', 'extraGpus', 'Rollout duration against extra GPUs at the peak', 'extra GPUs (peak − steady)'),
      paretoChart(points, 'pareto-spike', 'spike', 'Rollout duration against the TTFT p95 spike', 'spike ratio (peak window / baseline)'),
    ],
  });
}

/** `plan --json` (with `timing`) and plan.json (without): the whole result, 2-space indent, trailing newline. */
export function renderPlanJson(plan: PlanResult, timing?: PlanTiming): string {
  return `${JSON.stringify(timing === undefined ? plan : { ...plan, timing }, null, 2)}\n`;
}

/** Writes plan.json, plan.md, plan.html and strategy.yaml (the recommendation's snippet) into `dir`. */
export function writePlanOutputs(dir: string, plan: PlanResult): void {
  writeOutputFolder(dir, {
    'plan.md': renderPlanMarkdown(plan),
    'plan.html': renderPlanHtml(plan),
    ...(plan.recommended ? { 'strategy.yaml': plan.recommended.snippet } : {}),
    'plan.json': renderPlanJson(plan),
  });
}
