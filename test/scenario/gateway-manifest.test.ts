/**
 * Importing Inference Extension resources as a rollout strategy: the in-pool rewrite (InferenceModelRewrite,
 * InferenceModel targetModels), the two-pool route (HTTPRoute over InferencePools), the warnings on what is not
 * modelled, and the scenario over the import.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../sim/errors.js';
import { importGatewayText } from '../../sim/scenario/gateway-manifest.js';
import { loadScenarioText } from '../../sim/scenario/load.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/manifests/', import.meta.url));
const fixture = (name: string) => readFileSync(resolve(FIXTURES, name), 'utf8');

describe('gateway manifest import', () => {
  it('an InferenceModelRewrite with 90/10 targets is an in-pool rewrite held at 10 %', () => {
    const { fragment, warnings } = importGatewayText(fixture('gateway-rewrite.yaml'), 'm');
    expect(fragment.spec.rollout.strategy).toEqual({
      adapterRewrite: { from: 'sql-v1', to: 'sql-v2', steps: [{ setWeight: 10 }, { pause: {} }] },
    });
    expect(fragment.spec.routing).toEqual({ policy: 'lora-affinity' });
    expect(warnings.join('\n')).toContain('spec.targetPorts');
    expect(warnings.join('\n')).toContain('spec.endpointPickerRef');
    expect(warnings.join('\n')).toContain('first target');
  });

  it('an InferenceModel with targetModels 75/25; criticality is reported as not modelled', () => {
    const { fragment, warnings } = importGatewayText(fixture('gateway-inferencemodel.yaml'), 'm');
    expect(fragment.spec.rollout.strategy).toEqual({
      adapterRewrite: { from: 'sql-v1', to: 'sql-v2', steps: [{ setWeight: 25 }, { pause: {} }] },
    });
    expect(warnings).toEqual(['m: InferenceModel/sql: not modelled, ignored: spec.criticality']);
  });

  it('an HTTPRoute over two InferencePools is a two-pool split held at the second backend weight', () => {
    const { fragment, warnings } = importGatewayText(fixture('gateway-httproute.yaml'), 'm');
    expect(fragment.spec.rollout.strategy).toEqual({ inferencePoolSplit: { steps: [{ setWeight: 20 }, { pause: {} }] } });
    expect(warnings.join('\n')).toContain('spec.rules[0].timeouts');
  });

  it('two KServe LLMInferenceServices of one routing group (weights 9 and 1) are a two-pool split at 10 %', () => {
    const { fragment, warnings } = importGatewayText(fixture('gateway-kserve.yaml'), 'm');
    expect(fragment.spec.rollout.strategy).toEqual({ inferencePoolSplit: { replicas: 2, steps: [{ setWeight: 10 }, { pause: {} }] } });
    expect(warnings.join('\n')).toContain('spec.model');
    const otherGroup = fixture('gateway-kserve.yaml').replace('group: llama\n      weight: 1', 'group: other\n      weight: 1');
    expect(() => importGatewayText(otherGroup, 'm')).toThrow(/route\.group.*"other" differs from "llama"/s);
  });

  it('refuses what it cannot turn into a rollout, naming the field', () => {
    const service = fixture('gateway-httproute.yaml').replace('kind: InferencePool\n          name: vllm-llama3-8b-v2', 'kind: Service\n          name: other');
    expect(() => importGatewayText(service, 'm')).toThrow(/backendRefs\[1\]\.kind.*"Service"/s);
    const three = fixture('gateway-inferencemodel.yaml') + '    - name: sql-v3\n      weight: 5\n';
    expect(() => importGatewayText(three, 'm')).toThrow(InputError);
    expect(() => importGatewayText(three, 'm')).toThrow(/targetModels.*3 targets/);
    expect(() => importGatewayText('kind: ConfigMap\nmetadata: { name: x }\n', 'm')).toThrow(/found none/);
  });

  it('a scenario names the file; its own steps replace the snapshot', () => {
    const text = `apiVersion: rollout-sim/v1alpha1
kind: Scenario
metadata: { name: imported }
spec:
  duration: 1m
  cluster: { nodePools: [{ name: h100, gpu: h100-80gb, gpusPerNode: 8, nodes: 1 }] }
  model: { name: llama-3.1-8b }
  server: { lora: { maxLoras: 2 } }
  rollout:
    at: 10s
    gatewayManifest: gateway-rewrite.yaml
    strategy: { adapterRewrite: { steps: [{ setWeight: 50 }] } }
  traffic:
    arrival: { poisson: { rate: 1/s } }
    promptTokens: { constant: 100 }
    outputTokens: { constant: 10 }
    adapters: [{ name: sql-v1, share: 1 }]
`;
    const loaded = loadScenarioText(text, { baseDir: FIXTURES });
    expect(loaded.scenario.spec.rollout?.strategy).toEqual({ adapterRewrite: { from: 'sql-v1', to: 'sql-v2', steps: [{ setWeight: 50 }] } });
    expect(loaded.scenario.spec.routing.policy).toBe('lora-affinity');
    expect(loaded.warnings?.some((w) => w.includes('endpointPickerRef'))).toBe(true);
  });
});
