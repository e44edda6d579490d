import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCompareHtml, type CompareReport } from '../../reports/compare.js';
import { writeRunOutputs } from '../../reports/output.js';
import { renderPlanHtml } from '../../reports/plan.js';
import { plan } from '../../sim/plan/plan.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';
import { modelPool } from '../plan/model-pool.js';

/**
 * Debian's or Ubuntu's chromium (`.ci/run` installs it; locally `apt-get install chromium`), or the one
 * ROLLOUT_SIM_CHROMIUM names; playwright-core drives it, no downloaded browser.
 */
const CHROMIUM_CANDIDATES = [process.env.ROLLOUT_SIM_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
const CHROMIUM = CHROMIUM_CANDIDATES.find((path) => path !== undefined && path !== '' && existsSync(path)) ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SCREENSHOTS = join(REPO, 'test/browser/screenshots');

/** In CI a missing browser must fail the suite, never skip it; on a workstation without one the tests are skipped, saying why. */
const browserAvailable = existsSync(CHROMIUM);
const inCi = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI.toLowerCase());
const NO_BROWSER = `no chromium (${CHROMIUM_CANDIDATES.filter(Boolean).join(', ')}): apt-get install chromium to run the browser tests`;
const browserTest = browserAvailable || inCi ? it : (name: string, fn: () => Promise<void>) => it.skip(`${name} [skipped: ${NO_BROWSER}]`, fn);
if (!browserAvailable && !inCi) process.stderr.write(`test/browser: skipped, ${NO_BROWSER}\n`);

/** What the page looks like once its charts have rendered (or failed to). */
interface PageState {
  expected: number;
  rendered: string | null;
  error: string | null;
  charts: { id: string; hasSvg: boolean; marks: number }[];
  /** The document's scroll width: wider than the window means a sideways scroll of the whole page. */
  documentWidth: number;
}

/** Runs in the page: the bootstrap's markers and, per chart element, its SVG/canvas and data marks drawn. */
const READ_PAGE_STATE = `(() => ({
  expected: Number(document.body.dataset.charts),
  rendered: document.body.dataset.chartsRendered ?? null,
  error: document.body.dataset.chartsError ?? null,
  charts: [...document.querySelectorAll('div.chart')].map((div) => ({
    id: div.id,
    hasSvg: div.querySelector('svg, canvas') !== null,
    marks: div.querySelectorAll('g.role-mark > *').length,
  })),
  documentWidth: document.documentElement.scrollWidth,
}))()`;

/** Temporary folders (the browser profile, output folders), removed at the end. */
const scratch: string[] = [];
function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** One browser for the file, on a fresh profile (no state from an earlier run or from the user). */
let browser: BrowserContext | null = null;
beforeAll(async () => {
  if (!browserAvailable) return;
  browser = await chromium.launchPersistentContext(scratchDir('rollout-sim-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: 900 },
  });
});
afterAll(async () => {
  await browser?.close();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** Opens a page; returns its state once the charts rendered, its console errors and any network request. */
async function openInChromium(htmlFile: string, screenshot: string, windowWidth = 1100) {
  expect(browserAvailable, `${NO_BROWSER} (CI=${process.env.CI}: in CI the browser tests must run)`).toBe(true);
  const page = await (browser as BrowserContext).newPage();
  try {
    await page.setViewportSize({ width: windowWidth, height: 900 });
    const consoleErrors: string[] = [];
    const network: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('request', (request) => {
      if (!/^(file|data|blob):/.test(request.url())) network.push(request.url());
    });
    await page.goto(pathToFileURL(htmlFile).href);
    await page.waitForFunction('document.body.dataset.chartsRendered !== undefined || document.body.dataset.chartsError !== undefined', null, {
      timeout: 60_000,
    });
    const state = (await page.evaluate(READ_PAGE_STATE)) as PageState;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    return { state, consoleErrors, network };
  } finally {
    await page.close();
  }
}

function expectEveryChartDrawn(state: PageState, chartIds: string[]): void {
  expect(state.error).toBeNull();
  expect(state.rendered).toBe(String(state.expected));
  expect(state.charts.map((c) => c.id)).toEqual(chartIds);
  for (const chart of state.charts) {
    expect(chart.hasSvg, `${chart.id} has no svg`).toBe(true);
    expect(chart.marks, `${chart.id} drew no data marks`).toBeGreaterThan(0);
  }
}

describe('report.html in headless Chromium', () => {
  browserTest('renders every chart of a rollout offline, with no console error', async () => {
    // The bad canary in short: a rollout phase to shade, rejections to draw, a rollback.
    const loaded = loadScenarioFile(join(REPO, 'scenarios/bad-version-canary.yaml'), ['spec.duration=12m']);
    const out = scratchDir('rollout-sim-report-');
    await writeRunOutputs(out, runScenario(loaded));

    const { state, consoleErrors, network } = await openInChromium(join(out, 'report.html'), join(SCREENSHOTS, 'report.png'));
    expectEveryChartDrawn(state, ['chart-ttft', 'chart-ready', 'chart-gpus', 'chart-failures', 'chart-queue', 'chart-prefix-cache']);
    expect(consoleErrors).toEqual([]);
    expect(network).toEqual([]);
  });

  browserTest('renders every chart of a compare page', async () => {
    const report = syntheticCompareReport();
    const file = join(scratchDir('rollout-sim-compare-'), 'compare.html');
    writeFileSync(file, renderCompareHtml(report));

    const { state, consoleErrors, network } = await openInChromium(file, join(SCREENSHOTS, 'compare.png'));
    expect(state.charts.length).toBeGreaterThan(5);
    expectEveryChartDrawn(state, state.charts.map((c) => c.id));
    expect(consoleErrors).toEqual([]);
    expect(network).toEqual([]);
  });

  browserTest('lays out plan.html within a 1,280 px window: long commands wrap, wide tables scroll in their box', async () => {
    const result = await plan({ file: 'test/plan/small-fleet.yaml', seeds: 2, limits: { maxSpikeRatio: 4 }, pool: modelPool() });
    // A long override makes the re-run command one unbroken line of several thousand pixels unless it wraps.
    const overrides = [...result.scenario.overrides, `spec.metadata.note=${'x'.repeat(400)}`];
    const file = join(scratchDir('rollout-sim-plan-'), 'plan.html');
    writeFileSync(file, renderPlanHtml({ ...result, scenario: { ...result.scenario, overrides } }));

    const { state, consoleErrors } = await openInChromium(file, join(SCREENSHOTS, 'plan.png'), 1280);
    expectEveryChartDrawn(state, ['chart-pareto-gpus', 'chart-pareto-spike']);
    expect(consoleErrors).toEqual([]);
    expect(state.documentWidth).toBeLessThanOrEqual(1280);
  });
});

/** Two model sizes × two strategies over three seeds, figures made up but shaped like real ones. */
function syntheticCompareReport(): CompareReport {
  const estimate = (mean: number) => ({ mean, halfWidth: mean * 0.1, lo: mean * 0.9, hi: mean * 1.1, n: 3 });
  const row = (strategy: string, scale: number) => ({
    strategy,
    runs: 3,
    outcomes: { completed: 3 },
    notCompleted: 0,
    errors: [],
    reasons: [],
    metrics: {
      spikeRatio: estimate(2 * scale),
      ttftP95Ms: estimate(450 * scale),
      ttftP99Ms: estimate(800 * scale),
      dropped: estimate(scale),
      rejected: estimate(3 * scale),
      minReadyReplicas: estimate(12 / scale),
      peakGpus: estimate(96 * scale),
      surgeGpus: estimate(32 * scale),
      rolloutMinutes: estimate(9 * scale),
      gpuHours: estimate(50 * scale),
    },
  });
  const fleet = (tensorParallel: number, replicas: number) => ({
    tensorParallel,
    weightDtype: 'bf16',
    replicas,
    pools: [{ name: 'h100', gpu: 'h100-80gb', gpusPerNode: 8, nodes: 10, maxNodes: 20 }],
  });
  return {
    scenario: 'synthetic',
    hash: '0123456789ab',
    seeds: [1, 2, 3],
    strategies: { rolling: 'rollingUpdate {}', 'blue-green': 'blueGreen {}' },
    groups: [
      { model: 'llama-3.1-8b', fleet: fleet(1, 7), rows: [row('rolling', 1), row('blue-green', 1.5)] },
      { model: 'llama-3.1-70b', fleet: fleet(4, 16), rows: [row('rolling', 2), row('blue-green', 3)] },
    ],
  };
}
