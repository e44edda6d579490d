/**
 * Istio VirtualService and NGINX canary Ingress read into a gatewayCutover step's weights and mirror
 * (scenario/manifest-gateway.ts), and the loader's replacement of the file reference.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../sim/errors.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';
import { readCanaryIngress, readVirtualService } from '../../sim/scenario/manifest-gateway.js';

const SUBSETS = { stable: 'old', canary: 'new' } as const;
const vs = (http: unknown[]) => ({ apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', spec: { http } });
const dest = (subset: string) => ({ host: 'llm', subset });

describe('Istio VirtualService', () => {
  it('weights by subset; a lone destination takes 100; mirror without mirrorPercentage mirrors everything', () => {
    const warnings: string[] = [];
    expect(readVirtualService(vs([{ route: [{ destination: dest('stable'), weight: 80 }, { destination: dest('canary'), weight: 20 }] }]), SUBSETS, 'f', warnings)).toEqual({
      weights: { old: 80, new: 20 },
    });
    expect(readVirtualService(vs([{ route: [{ destination: dest('stable') }], mirror: dest('canary') }]), SUBSETS, 'f', warnings)).toEqual({
      weights: { old: 100, new: 0 },
      mirror: 100,
    });
    expect(
      readVirtualService(vs([{ route: [{ destination: dest('stable') }], mirror: dest('canary'), mirrorPercentage: { value: 12.5 } }]), SUBSETS, 'f', warnings),
    ).toMatchObject({ mirror: 12.5 });
    expect(readVirtualService(vs([{ route: [{ destination: dest('stable') }], mirrors: [{ destination: dest('canary'), percentage: { value: 30 } }] }]), SUBSETS, 'f', warnings)).toMatchObject({ mirror: 30 });
    expect(warnings).toEqual([]);
  });

  it('header matches are warned about and the route without a match is the one simulated', () => {
    const warnings: string[] = [];
    const config = readVirtualService(
      vs([{ match: [{ headers: { x: { exact: '1' } } }], route: [{ destination: dest('canary') }] }, { route: [{ destination: dest('stable') }] }]),
      SUBSETS,
      'f',
      warnings,
    );
    expect(config.weights).toEqual({ old: 100, new: 0 });
    expect(warnings[0]).toMatch(/only spec.http\[1\]/);
  });

  it('an unmapped subset, a missing weight among several, or mirroring to old is bad input', () => {
    expect(() => readVirtualService(vs([{ route: [{ destination: dest('v2') }] }]), SUBSETS, 'f', [])).toThrow(/"v2" is not mapped/);
    expect(() => readVirtualService(vs([{ route: [{ destination: dest('stable') }, { destination: dest('canary') }] }]), SUBSETS, 'f', [])).toThrow(InputError);
    expect(() => readVirtualService(vs([{ route: [{ destination: dest('canary') }], mirror: dest('stable') }]), SUBSETS, 'f', [])).toThrow(/mirrors to the old/);
  });
});

describe('NGINX canary Ingress', () => {
  const ingress = (annotations: Record<string, string>) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [`nginx.ingress.kubernetes.io/${k}`, v])) },
  });

  it('canary-weight out of canary-weight-total; header routing warned about', () => {
    const warnings: string[] = [];
    expect(readCanaryIngress(ingress({ canary: 'true', 'canary-weight': '20' }), 'f', warnings)).toEqual({ weights: { old: 80, new: 20 } });
    expect(readCanaryIngress(ingress({ canary: 'true', 'canary-weight': '5', 'canary-weight-total': '1000', 'canary-by-header': 'x-canary' }), 'f', warnings)).toEqual({
      weights: { old: 99.5, new: 0.5 },
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('canary-by-header');
  });

  it('a non-canary Ingress or a weight that is not a whole-number string is bad input', () => {
    expect(() => readCanaryIngress(ingress({ 'canary-weight': '20' }), 'f', [])).toThrow(/not a canary Ingress/);
    expect(() => readCanaryIngress(ingress({ canary: 'true', 'canary-weight': '2O' }), 'f', [])).toThrow(/not a whole number/);
  });
});

describe('a scenario whose cut-over steps name VirtualService files', () => {
  it('gets each file\'s weights and mirror in place of the reference', () => {
    const loaded = loadScenarioFile('scenarios/gateway/llama-70b-istio-shadow-cutover.yaml', []);
    const strategy = loaded.scenario.spec.rollout?.strategy;
    const steps = strategy && 'gatewayCutover' in strategy ? strategy.gatewayCutover.steps : [];
    expect(steps).toEqual([
      { at: 480, weights: { old: 100, new: 0 }, mirror: 100 },
      { at: 1080, weights: { old: 0, new: 100 } },
    ]);
  });
});

describe('a scenario whose cut-over step names an NGINX canary Ingress', () => {
  it('gets its weight, with the header rule warned about', () => {
    const loaded = loadScenarioFile('test/fixtures/gateway/nginx-canary.scenario.yaml', []);
    const strategy = loaded.scenario.spec.rollout?.strategy;
    const steps = strategy && 'gatewayCutover' in strategy ? strategy.gatewayCutover.steps : [];
    expect(steps[0]).toEqual({ at: 300, weights: { old: 80, new: 20 } });
    expect(loaded.warnings?.some((w) => w.includes('canary-by-header') && w.includes('steps[0].ingress'))).toBe(true);
  });
});
