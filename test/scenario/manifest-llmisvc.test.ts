/**
 * A KServe LLMInferenceService as a scenario's deployment (spec.deployment.manifest): the main workload's pod and
 * rolling update, a worker set as a LeaderWorkerSet group, spec.prefill as the prefill role, the inference
 * scheduler as the endpoint picker; the rest warned.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { resolveRun } from '../../sim/run/resolve.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';
import { importManifestText } from '../../sim/scenario/manifest.js';
import { inputError } from '../helpers/input-error.js';

const MANIFEST = 'scenarios/pd/manifests/llama-70b-llmisvc.yaml';
type Doc = Record<string, any>;
const base = (): Doc => parse(readFileSync(MANIFEST, 'utf8')) as Doc;
const imported = (doc: Doc) => importManifestText(stringify(doc), 'isvc.yaml');

describe('importing a KServe LLMInferenceService into a scenario', () => {
  it('the main workload is the decode role, spec.prefill the prefill role, each with its rolling update', () => {
    const { fragment, warnings } = imported(base());
    expect(fragment.spec.deployment).toMatchObject({
      replicas: 2,
      terminationGracePeriodSeconds: 120,
      preStop: { sleep: 10 },
      readinessProbe: { kind: 'health', periodSeconds: 5 },
      disaggregation: { prefill: { replicas: 4, tensorParallel: 4 } },
    });
    expect(fragment.spec.model).toEqual({ tensorParallel: 4 });
    expect(fragment.spec.server).toEqual({ shutdownTimeout: 90 });
    expect(fragment.spec.rollout).toEqual({
      strategy: { rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      disaggregated: { mode: 'independent', prefillRollingUpdate: { maxUnavailable: 1, maxSurge: 1 } },
    });
    expect(fragment.spec.routing).toEqual({ policy: 'endpoint-picker' });
    // The prefill pods are simulated with the main pod's settings: their own container is named as not modelled.
    expect(warnings.join('\n')).toMatch(/not modelled, ignored: .*spec\.prefill\.template\.containers\[0\]\.args/);
  });

  it('a worker set makes the workload multi-node: a LeaderWorkerSet group rolled by LWS', () => {
    const doc = base();
    delete doc.spec.prefill;
    doc.spec.parallelism = { tensor: 4, pipeline: 2 };
    doc.spec.worker = { containers: [{ name: 'main', resources: { limits: { 'nvidia.com/gpu': '4' } } }] };
    const { fragment } = imported(doc);
    expect(fragment.spec.deployment.leaderWorkerSet).toEqual({ size: 2, layout: 'pipeline' });
    expect(fragment.spec.rollout?.strategy).toEqual({ leaderWorkerSet: { maxUnavailable: 0, maxSurge: 1 } });
    // Data parallelism across nodes: one engine over every GPU.
    doc.spec.parallelism = { tensor: 4, data: 4, dataLocal: 2 };
    expect(imported(doc).fragment.spec.deployment.leaderWorkerSet).toEqual({ size: 2, layout: 'tensor' });
    doc.spec.parallelism = { tensor: 4 };
    expect(inputError(() => imported(doc)).message).toMatch(/spec\.parallelism.*needs parallelism\.pipeline ≥ 2, or data \/ dataLocal ≥ 2/);
  });

  it('with a multi-node role both roles roll as LeaderWorkerSets, the prefill budgets as prefillLeaderWorkerSet', () => {
    const doc = base();
    doc.spec.parallelism = { tensor: 4, data: 4, dataLocal: 2 };
    doc.spec.worker = { containers: [{ name: 'main', resources: { limits: { 'nvidia.com/gpu': '4' } } }] };
    const { fragment } = imported(doc);
    expect(fragment.spec.rollout).toEqual({
      strategy: { leaderWorkerSet: { maxUnavailable: 0, maxSurge: 1 } },
      disaggregated: { mode: 'independent', prefillLeaderWorkerSet: { maxUnavailable: 1, maxSurge: 1 } },
    });
    // The DeepSeek-V3 service of the group-level documents runs request by request too.
    const run = resolveRun(loadScenarioFile('scenarios/pd/kserve-deepseek-v3-from-manifest.yaml'));
    expect(run.templates.old.group).toMatchObject({ size: 2 });
    expect(run.disaggregation?.prefillReplicas).toBe(4);
  });

  it('router weights between services are warned, not silently applied', () => {
    const doc = base();
    doc.spec.router.route = { weight: 90 };
    expect(imported(doc).warnings.join('\n')).toMatch(/spec\.router\.route\.weight: router weight 90 splits traffic between LLMInferenceServices/);
  });

  it('the shipped scenario resolves to a 2-decode, 4-prefill fleet with the endpoint picker', () => {
    const run = resolveRun(loadScenarioFile('scenarios/pd/kserve-llama-70b-from-manifest.yaml'));
    expect(run.fleet.replicas).toBe(2);
    expect(run.disaggregation?.prefillReplicas).toBe(4);
    expect(run.router.policy).toBe('endpoint-picker');
  });
});
