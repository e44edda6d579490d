import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findScenarioFiles } from '../../sim/cli/commands/check.js';
import { isGroupScenarioFile } from '../../sim/cli/commands/check-groups.js';
import { preflight } from '../../sim/run/preflight.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REGRESSIONS = resolve(ROOT, 'scenarios/regressions');
// LeaderWorkerSet and prefill/decode documents (kind LwsRollout, PdRollout) report their own stall (lws.stall).
const files = findScenarioFiles([resolve(ROOT, 'scenarios')]).filter((f) => !isGroupScenarioFile(f));
const shipped = files.filter((f) => !f.startsWith(REGRESSIONS));

describe('preflight on the shipped scenarios', () => {
  it('finds the shipped scenarios and the regressions', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(10);
    expect(files.length - shipped.length).toBeGreaterThanOrEqual(6);
  });

  // No false alarm: every shipped scenario's rollout can finish, unless its own assertions say it stalls (a pause
  // never promoted): then preflight must say so too.
  it.each(shipped.map((f) => [f.slice(ROOT.length)]))('%s completes, or stalls as it asserts', (file) => {
    const loaded = loadScenarioFile(resolve(ROOT, file));
    const report = preflight(loaded);
    if (loaded.scenario.spec.assertions.some((a) => /rollout\.outcome == 'stalled'/.test(a))) {
      expect(report.verdict).toBe('stalled');
      return;
    }
    expect({ verdict: report.verdict, blockedBy: report.blockedBy }).toEqual({ verdict: 'completes', blockedBy: 'none' });
  });

  // Each regression's own assertions name the blocker its full run reports; preflight must agree without traffic.
  it.each(files.filter((f) => f.startsWith(REGRESSIONS)).map((f) => [f.slice(ROOT.length)]))('%s is stalled, as its run', (file) => {
    const loaded = loadScenarioFile(resolve(ROOT, file));
    const expected = loaded.scenario.spec.assertions.map((a) => /^rollout\.blockedBy == '([a-z-]+)'$/.exec(a)?.[1]).find(Boolean);
    const report = preflight(loaded);
    expect(report.verdict).toBe('stalled');
    expect(report.blockedBy).toBe(expected);
    expect(report.fixes.length).toBeGreaterThan(0);
  });
});
