import { describe, expect, it } from 'vitest';
import { renderJunit } from '../../reports/junit.js';
import type { ScenarioCheckResult } from '../../reports/junit.js';
import { assertWellFormedXml } from './xml.js';

const results: ScenarioCheckResult[] = [
  {
    scenario: 'canary <fast> & "safe"',
    file: 'scenarios/canary.yaml',
    seed: 7,
    hash: 'sha256:feed',
    assertions: [
      { expression: 'requests.dropped == 0', passed: true, value: 0 },
      { expression: 'latency.spikeRatio < 3', passed: false, value: 4.25 },
      { expression: 'capacity.peakGpus <= 10 && goodput > 0.99', passed: false, value: { peakGpus: 12, goodput: 0.97 } },
      { expression: 'rollout.bogus > 1', passed: false, error: "unknown field 'rollout.bogus'\u0001" },
    ],
  },
  {
    scenario: 'blue-green',
    file: 'scenarios/bg.yaml',
    seed: 1,
    hash: 'sha256:beef',
    assertions: [{ expression: 'rollout.outcome == "completed"', passed: true, value: 'completed' }],
  },
];

describe('renderJunit', () => {
  const xml = renderJunit(results);

  it('is well-formed XML, with hostile text escaped', () => {
    assertWellFormedXml(xml);
    expect(xml).toContain('name="canary &lt;fast&gt; &amp; &quot;safe&quot;"');
    expect(xml).toContain('name="capacity.peakGpus &lt;= 10 &amp;&amp; goodput &gt; 0.99"');
    expect(xml).not.toContain('\u0001');
  });

  it('has one testcase per assertion and per-suite counts', () => {
    expect(xml.match(/<testcase /g)).toHaveLength(5);
    expect(xml).toContain('<testsuites name="rollout-sim check" tests="5" failures="2" errors="1">');
    expect(xml).toMatch(/<testsuite name="canary[^>]* tests="4" failures="2" errors="1"/);
    expect(xml).toMatch(/<testsuite name="blue-green" tests="1" failures="0" errors="0"/);
  });

  it('puts the measured values, seed and hash in the failure message and properties', () => {
    expect(xml).toContain('<failure message="latency.spikeRatio &lt; 3 failed: measured 4.25 (seed 7, scenario hash sha256:feed)"');
    expect(xml).toContain('measured {&quot;peakGpus&quot;:12,&quot;goodput&quot;:0.97}');
    expect(xml).toMatch(/<error message="rollout\.bogus &gt; 1 could not be evaluated: unknown field &apos;rollout\.bogus&apos;/);
    expect(xml).toContain('<property name="seed" value="7"/>');
    expect(xml).toContain('<property name="scenarioHash" value="sha256:feed"/>');
  });

  it('keeps line breaks of failure details', () => {
    expect(xml).toContain('expression: latency.spikeRatio &lt; 3&#10;measured: 4.25&#10;');
  });
});

describe('assertWellFormedXml (the test helper)', () => {
  it('catches broken XML', () => {
    const head = '<?xml version="1.0" encoding="UTF-8"?>\n';
    expect(() => assertWellFormedXml(`${head}<a><b></a>`)).toThrow();
    expect(() => assertWellFormedXml(`${head}<a x="1 & 2"/>`)).toThrow();
    expect(() => assertWellFormedXml(`${head}<a/><b/>`)).toThrow();
    expect(() => assertWellFormedXml(`${head}<a>x < y</a>`)).toThrow();
  });
});
