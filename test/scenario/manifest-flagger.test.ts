/**
 * Importing a Flagger Canary with its target Deployment: the Canary's analysis becomes the scenario's
 * rollout.strategy.flagger, the Deployment's RollingUpdate the primary's, and what is not simulated is warned about.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../sim/errors.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';
import { importManifestText } from '../../sim/scenario/manifest.js';

const CANARY = readFileSync('test/fixtures/manifests/flagger-canary.yaml', 'utf8');

describe('Flagger Canary import', () => {
  it('the analysis, the primary\'s RollingUpdate and the progress deadline become strategy.flagger', () => {
    const { fragment, warnings } = importManifestText(CANARY, 'm.yaml');
    expect(fragment.spec.deployment.replicas).toBe(4);
    expect(fragment.spec.rollout?.strategy).toEqual({
      flagger: {
        analysis: {
          interval: 120,
          threshold: 3,
          stepWeight: 10,
          maxWeight: 50,
          metrics: [
            { name: 'request-success-rate', interval: 60, thresholdRange: { min: 99 } },
            { name: 'request-duration', interval: 60, thresholdRange: { max: 30000 } },
            { name: 'ttft', templateRef: { name: 'ttft-p95' }, thresholdRange: { max: 2000 } },
          ],
          webhooks: [{ name: 'approve', type: 'confirm-promotion' }, { name: 'load-test' }],
        },
        maxSurge: 1,
        maxUnavailable: 0,
        progressDeadlineSeconds: 1200,
      },
    });
    const canaryWarning = warnings.find((w) => w.includes('Canary/llama-70b: not modelled'));
    expect(canaryWarning).toContain('spec.provider');
    expect(canaryWarning).toContain('spec.service');
    expect(canaryWarning).toContain('spec.analysis.webhooks[1].metadata');
    expect(warnings.some((w) => w.includes('metric templates ttft-p95 are referenced'))).toBe(true);
    expect(warnings.some((w) => w.includes('webhooks are simulated as gates'))).toBe(true);
    expect(warnings.some((w) => w.includes('other documents'))).toBe(false);
  });

  it('a Canary that targets another Deployment, or a Rollout, is bad input', () => {
    expect(() => importManifestText(CANARY.replace('    name: llama-70b\n  progress', '    name: other\n  progress'), 'm.yaml')).toThrow(
      /targets Deployment "other"/,
    );
    const wrongApi = CANARY.replace('flagger.app/v1beta1', 'flagger.app/v1alpha3');
    expect(() => importManifestText(wrongApi, 'm.yaml')).toThrow(InputError);
  });
});

describe('a scenario over an imported Canary', () => {
  it('merges the scenario\'s metric templates into the imported strategy and validates', () => {
    const loaded = loadScenarioFile('test/fixtures/manifests/flagger-canary.scenario.yaml', []);
    const strategy = loaded.scenario.spec.rollout?.strategy;
    expect(strategy && 'flagger' in strategy ? strategy.flagger.metricTemplates : null).toEqual({ 'ttft-p95': { query: 'new.ttftP95Ms' } });
    expect(strategy && 'flagger' in strategy ? strategy.flagger.analysis.webhooks.map((w) => w.type) : null).toEqual(['confirm-promotion', 'rollout']);
  });
});
