import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { InputError } from '../../sim/errors.js';
import { prepareRun } from '../../sim/run/run-scenario.js';
import { loadScenarioFile, loadScenarioText, type LoadedScenario } from '../../sim/scenario/load.js';
import { importManifest, importManifestText, mergeManifestFragment, type ManifestImport } from '../../sim/scenario/manifest.js';
import { parseArgoDuration, parseK8sQuantity, parseSleepArgument } from '../../sim/scenario/manifest-units.js';
import { shellWords } from '../../sim/scenario/manifest-vllm.js';
import { inputError } from '../helpers/input-error.js';

const DIR = 'test/fixtures/manifests';
const WHERE = 'm.yaml';
const UNMODELLED = ': not modelled, ignored: ';

function load(name: string, overrides: string[] = []): LoadedScenario & { warnings: string[] } {
  const loaded = loadScenarioFile(`${DIR}/${name}`, overrides);
  expect(loaded.warnings).toBeInstanceOf(Array);
  return { ...loaded, warnings: loaded.warnings ?? [] };
}

/** The fields listed in the one "not modelled" warning (none when there is no such warning). */
function unmodelled(warnings: readonly string[]): string[] {
  const lines = warnings.filter((w) => w.includes(UNMODELLED));
  expect(lines.length).toBeLessThanOrEqual(1);
  return lines.length === 0 ? [] : lines[0].slice(lines[0].indexOf(UNMODELLED) + UNMODELLED.length).split(', ');
}

const POD = 'spec.template.spec';

/** One GPU, unless the test gives the container its own resources. */
const ONE_GPU = { resources: { limits: { 'nvidia.com/gpu': 1 } } };

/** A Deployment around one container, as YAML text. */
function deploymentText(container: object, spec: object = {}, pod: object = {}): string {
  return stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'm' },
    spec: {
      selector: { matchLabels: { app: 'm' } },
      template: { metadata: { labels: { app: 'm' } }, spec: { containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.18.0', ...ONE_GPU, ...container }], ...pod } },
      ...spec,
    },
  });
}

function importDeployment(container: object, spec: object = {}, pod: object = {}): ManifestImport {
  return importManifestText(deploymentText(container, spec, pod), WHERE);
}

describe('importing a manifest into a scenario', () => {
  it.each(['vllm-deployment', 'rollout-blue-green', 'rollout-canary'])('%s validates exactly as the hand-written scenario', (name) => {
    const imported = load(`${name}.scenario.yaml`).scenario.spec;
    const written = load(`${name}.equivalent.yaml`).scenario.spec;
    const { manifest, ...deployment } = imported.deployment;
    expect(manifest).toBe(`${name}.yaml`);
    expect(deployment).toEqual(written.deployment);
    expect(imported.rollout).toEqual(written.rollout);
    expect(imported.model.tensorParallel).toBe(written.model.tensorParallel);
    expect(imported.server).toEqual(written.server);
    expect({ ...imported, deployment }).toEqual(written);
  });

  it('lists the Deployment fields it does not model, and not its metadata', () => {
    const { warnings } = load('vllm-deployment.scenario.yaml');
    const c = `${POD}.containers[0]`;
    expect(unmodelled(warnings)).toEqual([
      'spec.revisionHistoryLimit',
      `${POD}.nodeSelector`,
      `${POD}.tolerations`,
      `${POD}.volumes`,
      `${c}.env`,
      `${c}.ports`,
      `${c}.resources.requests.cpu`,
      `${c}.resources.limits.memory`,
      `${c}.volumeMounts`,
      `${c}.args[8] (--max-model-len)`,
      `${c}.args[9] (--port)`,
    ]);
    expect(warnings).toEqual([
      'spec.deployment.manifest (vllm-deployment.yaml): other documents are not imported: Service/llama-70b',
      expect.stringContaining(UNMODELLED),
    ]);
  });

  it('lists what the blue-green Rollout holds beyond the scenario, imports its AnalysisTemplate, asks for the other', () => {
    const { warnings } = load('rollout-blue-green.scenario.yaml');
    expect(unmodelled(warnings)).toEqual([
      'spec.revisionHistoryLimit',
      'spec.strategy.blueGreen.prePromotionAnalysis.args',
      `${POD}.priorityClassName`,
      `${POD}.containers[0].args[0] (--served-model-name)`,
    ]);
    expect(warnings.join('\n')).not.toContain('other documents are not imported');
    expect(warnings.join('\n')).toMatch(/analysis templates latency are referenced but not in this file.*spec\.rollout\.analysisTemplates/);
    // The manifest's grace period (30 s) is shorter than its preStop (20 s) + vLLM's drain (30 s).
    expect(warnings.join('\n')).toContain('= 50 s: SIGKILL cuts the streams still draining');
    expect(warnings).toHaveLength(3);
  });

  it('lists what the canary Rollout holds beyond the scenario, and the steps it skips', () => {
    const { warnings } = load('rollout-canary.scenario.yaml');
    expect(unmodelled(warnings)).toEqual([
      'spec.progressDeadlineAbort',
      'spec.strategy.canary.analysis.startingStep',
      `${POD}.affinity`,
      `${POD}.containers[0]`,
      `${POD}.containers[1].lifecycle.postStart`,
    ]);
    const text = warnings.join('\n');
    expect(text).toContain('spec.strategy.canary.steps[3].setHeaderRoute: this step is not simulated');
    expect(text).toContain('containers[1].readinessProbe.exec: an exec probe that calls an inference endpoint');
    expect(text).toMatch(/analysis templates latency, error-rate/);
    expect(text).toContain('= 135 s: SIGKILL cuts the streams still draining');
    expect(warnings).toHaveLength(5);
  });

  it('warns when the scenario\'s tensorParallel overrides the manifest\'s GPUs, not when it agrees', () => {
    const { warnings } = load('vllm-deployment.scenario.yaml', ['spec.model={name: llama-3.1-70b, tensorParallel: 8}']);
    expect(warnings).toContain(
      'spec.model.tensorParallel (8) overrides spec.deployment.manifest (vllm-deployment.yaml), whose pods use 4 GPUs ' +
        '(nvidia.com/gpu / --tensor-parallel-size): 8 is simulated; remove spec.model.tensorParallel to simulate the manifest as written',
    );
    const agreeing = load('vllm-deployment.scenario.yaml', ['spec.model={name: llama-3.1-70b, tensorParallel: 4}']);
    expect(agreeing.warnings.join('\n')).not.toContain('overrides');
  });

  it('lets the scenario override any field of the manifest', () => {
    const { scenario } = load('vllm-deployment.scenario.yaml', [
      'spec.deployment.replicas=4',
      'spec.server.maxNumSeqs=64',
      'spec.deployment.readinessProbe.periodSeconds=2',
      'spec.rollout.strategy={recreate: {}}',
      'spec.model={name: llama-3.1-70b, tensorParallel: 8}',
    ]);
    const spec = scenario.spec;
    expect(spec.deployment.replicas).toBe(4);
    expect(spec.server).toMatchObject({ maxNumSeqs: 64, maxNumBatchedTokens: 8192, shutdownTimeout: 45 });
    expect(spec.deployment.readinessProbe).toMatchObject({ kind: 'health', periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 3 });
    expect(spec.rollout?.strategy).toEqual({ recreate: {} });
    expect(spec.model.tensorParallel).toBe(8);
    expect(spec.deployment.terminationGracePeriodSeconds).toBe(60);
  });

  it('leaves the strategy out, with a warning, when the scenario has no rollout', () => {
    const text = readFileSync(`${DIR}/vllm-deployment.scenario.yaml`, 'utf8');
    expect(text).toContain('  rollout:\n    at: 20m\n');
    const { scenario, warnings } = loadScenarioText(text.replace('  rollout:\n    at: 20m\n', ''), { baseDir: DIR });
    expect(scenario.spec.deployment.replicas).toBe(16);
    expect(scenario.spec.rollout).toBeUndefined();
    expect(warnings).toContain(
      'spec.deployment.manifest (vllm-deployment.yaml): its strategy is not simulated because the scenario has no spec.rollout; add spec.rollout.at to roll out',
    );
  });

  it('reports a missing manifest file against the scenario field', () => {
    const err = inputError(() => importManifest('nowhere.yaml', DIR));
    expect(err.path).toBe('spec.deployment.manifest');
    expect(err.message).toMatch(/no such manifest file/);
  });
});

describe('mergeManifestFragment', () => {
  const fragment = {
    spec: {
      deployment: { replicas: 16, readinessProbe: { kind: 'health', periodSeconds: 5 } },
      rollout: { strategy: { canary: { steps: [{ setWeight: 10 }, { pause: {} }], maxSurge: 2 } } },
      model: { tensorParallel: 4 },
      server: { maxNumSeqs: 256 },
    },
  };

  it('merges objects deeply, the scenario winning, and replaces lists whole', () => {
    const merged = mergeManifestFragment(fragment, {
      spec: { deployment: { readinessProbe: { periodSeconds: 2 } }, rollout: { at: 60, strategy: { canary: { steps: [{ setWeight: 50 }] } } } },
    });
    expect(merged).toEqual({
      spec: {
        deployment: { replicas: 16, readinessProbe: { kind: 'health', periodSeconds: 2 } },
        rollout: { at: 60, strategy: { canary: { steps: [{ setWeight: 50 }], maxSurge: 2 } } },
        model: { tensorParallel: 4 },
        server: { maxNumSeqs: 256 },
      },
    });
    expect(fragment.spec.rollout.strategy.canary.steps).toHaveLength(2);
  });

  it('keeps the manifest tensorParallel under a model written as a name; another strategy or server mode replaces', () => {
    const merged = mergeManifestFragment(fragment, {
      spec: { model: 'llama-3.1-70b', rollout: { strategy: { blueGreen: {} } }, server: { model: 'queue', concurrency: 4 }, deployment: { readinessProbe: null } },
    }) as { spec: Record<string, unknown> };
    expect(merged.spec.model).toEqual({ name: 'llama-3.1-70b', tensorParallel: 4 });
    expect(merged.spec.rollout).toEqual({ strategy: { blueGreen: {} } });
    expect(merged.spec.server).toEqual({ model: 'queue', concurrency: 4 });
    expect(merged.spec.deployment).toEqual({ replicas: 16, readinessProbe: null });
  });
});

describe('Deployment fields', () => {
  it('writes out the Kubernetes defaults that differ from the scenario: no readiness probe, 25%/25%, one replica', () => {
    const { fragment, warnings } = importDeployment({ args: ['meta-llama/Llama-3.1-8B'], resources: {} });
    expect(fragment.spec.deployment).toEqual({
      replicas: 1,
      readinessProbe: null,
      livenessProbe: null,
      startupProbe: null,
      terminationGracePeriodSeconds: 30,
    });
    expect(fragment.spec.rollout).toEqual({ strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
    expect(fragment.spec.model).toBeUndefined();
    expect(fragment.spec.server).toBeUndefined();
    // No nvidia.com/gpu: Kubernetes would schedule the pod without a GPU; the simulation still gives it some.
    expect(warnings).toEqual([
      `${WHERE}: ${POD}.containers[0].resources: no nvidia.com/gpu request or limit, so Kubernetes would give this pod no GPU; ` +
        'it is simulated as a GPU pod holding spec.model.tensorParallel GPUs — add resources.limits.nvidia.com/gpu to the manifest',
    ]);
  });

  it('reads Recreate and a RollingUpdate that gives one bound', () => {
    expect(importDeployment({}, { strategy: { type: 'Recreate' } }).fragment.spec.rollout?.strategy).toEqual({ recreate: {} });
    const rolling = importDeployment({}, { strategy: { rollingUpdate: { maxUnavailable: 1 } } }).fragment.spec.rollout?.strategy;
    expect(rolling).toEqual({ rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } });
  });

  it.each([
    [{ httpGet: { path: '/health', port: 8000 } }, 'health'],
    [{ httpGet: { path: '/v1/completions', port: 8000 } }, 'synthetic-inference'],
    [{ httpGet: { path: '/v1/chat/completions', port: 8000 } }, 'synthetic-inference'],
    [{ tcpSocket: { port: 8000 } }, 'port'],
    [{ grpc: { port: 9000 } }, 'health'],
    [{ exec: { command: ['curl', '-f', 'localhost:8000/health'] } }, 'health'],
  ])('reads the probe handler %j as kind %s', (handler, kind) => {
    const { fragment } = importDeployment({ readinessProbe: { ...handler, periodSeconds: 3 } });
    expect(fragment.spec.deployment.readinessProbe).toEqual({ kind, periodSeconds: 3 });
  });

  it('warns that an exec probe is simulated as a health check, and leaves 0 timings to the defaults', () => {
    const { fragment, warnings } = importDeployment({ livenessProbe: { exec: { command: ['true'] }, periodSeconds: 0, timeoutSeconds: 0, failureThreshold: 5 } });
    expect(fragment.spec.deployment.livenessProbe).toEqual({ kind: 'health', failureThreshold: 5 });
    expect(warnings).toEqual([`${WHERE}: ${POD}.containers[0].livenessProbe.exec: an exec probe; simulated as a health check that passes once the server is up`]);
  });

  it.each([
    [{ sleep: { seconds: 15 } }, 15],
    [{ exec: { command: ['sleep', '15'] } }, 15],
    [{ exec: { command: ['/bin/sleep', '2m'] } }, 120],
    [{ exec: { command: ['/bin/sh', '-c', 'sleep 15'] } }, 15],
    [{ exec: { command: ['bash', '-c', 'sleep 7;'] } }, 7],
  ])('reads the preStop hook %j as a sleep of %d s', (preStop, seconds) => {
    const { fragment, warnings } = importDeployment({ lifecycle: { preStop } });
    expect(fragment.spec.deployment.preStop).toEqual({ sleep: seconds });
    expect(warnings).toEqual([]);
  });

  it.each([{ exec: { command: ['/bin/sh', '-c', 'sleep 5 && kill -TERM 1'] } }, { httpGet: { path: '/drain', port: 8000 } }])(
    'warns that the preStop hook %j is not simulated',
    (preStop) => {
      const { fragment, warnings } = importDeployment({ lifecycle: { preStop } });
      expect(fragment.spec.deployment.preStop).toBeUndefined();
      expect(warnings).toEqual([expect.stringContaining(`${POD}.containers[0].lifecycle.preStop: only a sleep is simulated`)]);
    },
  );

  it('takes the memory request, or the limit without one, as the host memory request', () => {
    const requested = importDeployment({ resources: { requests: { memory: '512Mi' }, limits: { memory: '1Gi', 'nvidia.com/gpu': 1 } } });
    expect(requested.fragment.spec.deployment.resources).toEqual({ hostMemoryRequest: 512 * 2 ** 20 });
    expect(unmodelled(requested.warnings)).toEqual([`${POD}.containers[0].resources.limits.memory`]);
    const limited = importDeployment({ resources: { limits: { memory: '1.5T', 'nvidia.com/gpu': 1 } } });
    expect(limited.fragment.spec.deployment.resources).toEqual({ hostMemoryRequest: 1.5e12 });
    expect(limited.warnings).toEqual([]);
  });

  it('picks the container that runs vLLM and lists the others whole', () => {
    const text = stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'proxy', image: 'envoyproxy/envoy:v1.30', args: ['--config', '/etc/envoy.yaml'] },
              { name: 'server', image: 'example.com/llm:1', command: ['vllm', 'serve', 'meta-llama/Llama-3.1-8B', '--max-num-seqs', '64'] },
            ],
          },
        },
      },
    });
    const { fragment, warnings } = importManifestText(text, WHERE);
    expect(fragment.spec.server).toEqual({ maxNumSeqs: 64 });
    expect(unmodelled(warnings)).toEqual([`${POD}.containers[0]`]);
  });
});

describe('the vLLM command line', () => {
  it('reads --flag value, --flag=value and underscores alike, in a shell script too', () => {
    const script = 'set -e\nexec vllm serve "meta-llama/Llama-3.1-70B" \\\n  --tensor_parallel_size=4 --max-num-seqs 32 \\\n  --gpu-memory-utilization 0.85 --no-enable-prefix-caching --block-size 32 && echo done';
    const { fragment, warnings } = importDeployment({ command: ['/bin/sh', '-c'], args: [script], resources: { limits: { 'nvidia.com/gpu': 4 } } });
    expect(fragment.spec.server).toEqual({ maxNumSeqs: 32, gpuMemoryUtilization: 0.85, prefixCaching: false, blockSize: 32 });
    expect(fragment.spec.model).toEqual({ tensorParallel: 4 });
    expect(warnings).toEqual([]);
  });

  it('reads bare args as the arguments of the vllm-openai image entrypoint', () => {
    const { fragment } = importDeployment({ args: ['--model', 'Qwen/Qwen2.5-7B-Instruct', '-tp', '2', '--shutdown-timeout', '20'] });
    expect(fragment.spec.model).toEqual({ tensorParallel: 2 });
    expect(fragment.spec.server).toEqual({ shutdownTimeout: 20 });
  });

  it('takes the GPU limit as tensor parallelism without a flag, and warns when the two differ', () => {
    expect(importDeployment({ resources: { limits: { 'nvidia.com/gpu': 8 } } }).fragment.spec.model).toEqual({ tensorParallel: 8 });
    const { fragment, warnings } = importDeployment({ args: ['--tensor-parallel-size', '4'], resources: { limits: { 'nvidia.com/gpu': 8 } } });
    expect(fragment.spec.model).toEqual({ tensorParallel: 4 });
    expect(warnings).toEqual([`${WHERE}: ${POD}.containers[0]: 8 GPUs (nvidia.com/gpu) but --tensor-parallel-size 4; tensorParallel 4 is simulated`]);
  });

  it('warns about a model that is not in the catalog, and a flag given by a variable', () => {
    const { fragment, warnings } = importDeployment({ command: ['vllm', 'serve', '/models/my-finetune', '--max-num-seqs', '$(MAX_SEQS)'] });
    expect(fragment.spec.server).toBeUndefined();
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toBe(`${WHERE}: ${POD}.containers[0].command[3]: --max-num-seqs $(MAX_SEQS) is a variable, not imported; set maxNumSeqs in the scenario`);
    expect(warnings[1]).toMatch(/command\[2\]: the served model "\/models\/my-finetune" does not look like a catalog model \(llama-3.1-8b, .*\); spec.model names/);
  });

  it('warns when no vLLM command line is found, and lists the command among the unmodelled fields', () => {
    const { fragment, warnings } = importDeployment({ image: 'example.com/llm:1', command: ['/app/server'], args: ['--workers', '2'] });
    expect(fragment.spec.server).toBeUndefined();
    expect(warnings[0]).toMatch(/containers\[0\]: no vLLM command line/);
    expect(unmodelled(warnings)).toEqual([`${POD}.containers[0].command`, `${POD}.containers[0].args`]);
  });

  it('splits shell words with quotes, escapes and separators', () => {
    expect(shellWords(`a 'b c' "d \\"e\\"" f\\ g;h\nx`)).toEqual(['a', 'b c', 'd "e"', 'f g', ';', 'h', ';', 'x']);
  });
});

describe('Argo Rollout fields', () => {
  function rolloutText(strategy: object): string {
    return stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', spec: { strategy, template: { spec: { containers: [{ name: 'c', image: 'vllm/vllm-openai', ...ONE_GPU }] } } } });
  }

  it('reads a canary without traffic routing, its pauses in Go durations and setCanaryScale weights', () => {
    const { fragment } = importManifestText(
      rolloutText({ canary: { steps: [{ setCanaryScale: { weight: 20 } }, { setWeight: 20 }, { pause: { duration: '1h30m' } }, { pause: { duration: '45' } }] } }),
      WHERE,
    );
    expect(fragment.spec.rollout?.strategy).toEqual({
      canary: { steps: [{ setCanaryScale: { weight: 20 } }, { setWeight: 20 }, { pause: { duration: 5400 } }, { pause: { duration: 45 } }], trafficRouting: false },
    });
  });

  it('reads blue-green defaults as absent, for the scenario to default them as Argo does', () => {
    const { fragment, warnings } = importManifestText(rolloutText({ blueGreen: { activeService: 'a', previewService: 'b' } }), WHERE);
    expect(fragment.spec.rollout).toEqual({ strategy: { blueGreen: {} } });
    expect(warnings).toEqual([]);
  });
});

describe('bad manifests are InputErrors naming the field', () => {
  const deployment = (container: object, spec: object = {}) => () => importDeployment(container, spec);
  const service = stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } });
  const rollout = stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'r' } });

  it.each<[string, () => unknown, string, RegExp]>([
    ['not YAML', () => importManifestText('spec: [unclosed', WHERE), WHERE, /not valid YAML/],
    ['no workload', () => importManifestText(service, WHERE), WHERE, /exactly one workload: Deployment \(apps\/v1\), .* found none/],
    ['two workloads', () => importManifestText(`${deploymentText({})}---\n${rollout}`, WHERE), WHERE, /found Deployment\/m, Rollout\/r/],
    ['old apiVersion', () => importManifestText(deploymentText({}).replace('apps/v1', 'extensions/v1beta1'), WHERE), `${WHERE}: apiVersion`, /expected apps\/v1/],
    ['replicas not an integer', deployment({}, { replicas: 'three' }), `${WHERE}: spec.replicas`, /"three" is not an integer/],
    ['replicas 0', deployment({}, { replicas: 0 }), `${WHERE}: spec.replicas`, /below 1/],
    ['a bad quantity', deployment({ resources: { requests: { memory: '12 bananas' } } }), `${WHERE}: ${POD}.containers[0].resources.requests.memory`, /not a Kubernetes quantity/],
    ['a fractional GPU', deployment({ resources: { limits: { 'nvidia.com/gpu': '500m' } } }), `${WHERE}: ${POD}.containers[0].resources.limits.nvidia.com/gpu`, /not a whole number of GPUs/],
    ['an unknown strategy', deployment({}, { strategy: { type: 'BlueGreen' } }), `${WHERE}: spec.strategy.type`, /expected RollingUpdate or Recreate/],
    ['Recreate with rollingUpdate', deployment({}, { strategy: { type: 'Recreate', rollingUpdate: {} } }), `${WHERE}: spec.strategy.rollingUpdate`, /Recreate/],
    ['0/0 bounds', deployment({}, { strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } }), `${WHERE}: spec.strategy.rollingUpdate.maxUnavailable`, /may not be 0 when maxSurge is 0: .* \(got "0%"\)$/],
    ['unavailable above 100%', deployment({}, { strategy: { rollingUpdate: { maxUnavailable: '150%' } } }), `${WHERE}: spec.strategy.rollingUpdate.maxUnavailable`, /must not be more than 100% \(got "150%"\)$/],
    ['a bad bound', deployment({}, { strategy: { rollingUpdate: { maxSurge: '1.5' } } }), `${WHERE}: spec.strategy.rollingUpdate.maxSurge`, /"1\.5" is not a percentage; write a whole percentage such as 25%/],
    ['a probe of two handlers', deployment({ readinessProbe: { tcpSocket: { port: 1 }, httpGet: { path: '/' } } }), `${WHERE}: ${POD}.containers[0].readinessProbe`, /handlers httpGet, tcpSocket/],
    ['a bad vLLM value', deployment({ args: ['--max-num-seqs=lots'] }), `${WHERE}: ${POD}.containers[0].args[0]`, /--max-num-seqs "lots" is not a whole number/],
    ['no containers', deployment({}, { template: { spec: { containers: [] } } }), `${WHERE}: ${POD}.containers`, /no containers/],
  ])('%s', (_, run, path, message) => {
    const err = inputError(run);
    expect(err.path).toBe(path);
    expect(err.message).toMatch(message);
  });

  it.each<[object, string, RegExp]>([
    [{ canary: { steps: [{ setWait: 5 }] } }, 'spec.strategy.canary.steps[0].setWait', /not an Argo canary step/],
    [{ canary: { steps: [{ pause: { duration: 'soon' } }] } }, 'spec.strategy.canary.steps[0].pause.duration', /not a duration/],
    [{ canary: { steps: [{ setWeight: 120 }] } }, 'spec.strategy.canary.steps[0].setWeight', /above 100/],
    [{ blueGreen: { prePromotionAnalysis: { templates: [{ clusterScope: true }] } } }, 'spec.strategy.blueGreen.prePromotionAnalysis.templates[0].templateName', /missing/],
    [{ blueGreen: {}, canary: {} }, 'spec.strategy', /exactly one of blueGreen or canary/],
  ])('Rollout strategy %j', (strategy, field, message) => {
    const text = stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', spec: { strategy, template: { spec: { containers: [{ name: 'c' }] } } } });
    const err = inputError(() => importManifestText(text, WHERE));
    expect(err.path).toBe(`${WHERE}: ${field}`);
    expect(err.message).toMatch(message);
  });

  it('stops the scenario load with the manifest named', () => {
    const err = inputError(() => loadScenarioFile(`${DIR}/vllm-deployment.scenario.yaml`, ['spec.deployment.manifest=rollout-blue-green.scenario.yaml']));
    expect(err.message).toMatch(/^spec\.deployment\.manifest \(rollout-blue-green\.scenario\.yaml\): expected exactly one workload: Deployment/);
  });
});

describe('manifest units', () => {
  it.each<[unknown, number | null]>([
    ['200Gi', 200 * 2 ** 30],
    ['512Mi', 512 * 2 ** 20],
    ['1.5T', 1.5e12],
    ['100m', 0.1],
    ['1e3', 1000],
    ['2E', 2e18],
    ['4', 4],
    [4, 4],
    ['12 bananas', null],
    ['1.5GiB', null],
    [true, null],
  ])('parseK8sQuantity(%j) = %s', (text, value) => {
    expect(parseK8sQuantity(text)).toBe(value);
  });

  it.each<[unknown, number | null]>([
    ['10m', 600],
    ['1h30m', 5400],
    ['1.5h', 5400],
    ['250ms', 0.25],
    ['45', 45],
    [300, 300],
    [-5, null],
    ['soon', null],
    ['10 m', null],
  ])('parseArgoDuration(%j) = %s', (text, value) => {
    expect(parseArgoDuration(text)).toBe(value);
  });

  it('reads GNU sleep arguments', () => {
    expect([parseSleepArgument('15'), parseSleepArgument('1.5m'), parseSleepArgument('1d'), parseSleepArgument('infinity')]).toEqual([15, 90, 86400, null]);
  });
});

describe('AnalysisTemplate documents beside the Rollout', () => {
  const rollout = (analysis: object) =>
    stringify({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'm' },
      spec: {
        strategy: { canary: { trafficRouting: { nginx: {} }, steps: [{ setWeight: 20 }, { analysis }] } },
        template: { spec: { containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.18.0', resources: { limits: { 'nvidia.com/gpu': 1 } } }] } },
      },
    });
  const template = (name: string, metrics: object[]) =>
    stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisTemplate', metadata: { name }, spec: { args: [{ name: 'svc' }], metrics } });
  const prometheus = (query: string) => ({ prometheus: { address: 'http://prometheus:9090', query } });
  const file = (...docs: string[]) => docs.join('---\n');

  it('maps the common latency and error-rate queries to the simulated telemetry of the new version', () => {
    const { fragment, warnings } = importManifestText(
      file(
        rollout({ templates: [{ templateName: 'slo' }] }),
        template('slo', [
          {
            name: 'ttft-p95',
            interval: '1m',
            count: 5,
            failureLimit: 1,
            successCondition: 'result[0] < 0.5',
            provider: prometheus('histogram_quantile(0.95, sum(rate(vllm:time_to_first_token_seconds_bucket{service="{{args.svc}}"}[2m])) by (le))'),
          },
          {
            name: 'errors',
            interval: '30s',
            failureCondition: 'result[0] > 0.01',
            provider: prometheus('sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))'),
          },
          {
            name: 'tpot-mean',
            successCondition: 'result[0] < 0.05',
            provider: prometheus('rate(vllm:time_per_output_token_seconds_sum[1m]) / rate(vllm:time_per_output_token_seconds_count[1m])'),
          },
        ]),
      ),
      WHERE,
    );
    expect(fragment.spec.rollout?.analysisTemplates).toEqual({
      slo: {
        metrics: [
          { name: 'ttft-p95', query: 'new.ttftP95Ms / 1000', window: 120, interval: 60, count: 5, failureLimit: 1, successCondition: 'result < 0.5' },
          { name: 'errors', query: 'new.errorRate', window: 300, interval: 30, failureCondition: 'result > 0.01' },
          { name: 'tpot-mean', query: 'new.tpotMeanMs / 1000', window: 60, successCondition: 'result < 0.05' },
        ],
      },
    });
    expect(warnings.join('\n')).not.toMatch(/analysis templates|other documents/);
  });

  it('a manifest file holding its AnalysisTemplate is a valid scenario without the template written out', () => {
    const loaded = load('rollout-blue-green.scenario.yaml');
    expect(Object.keys(loaded.scenario.spec.rollout?.analysisTemplates ?? {})).toEqual(['error-rate', 'latency']);
    expect(() => prepareRun(loaded)).not.toThrow();
  });

  it('refuses, one line per metric, what cannot be simulated', () => {
    const error = inputError(() =>
      importManifestText(
        file(
          rollout({ templates: [{ templateName: 'mixed' }] }),
          template('mixed', [
            { name: 'ok', successCondition: 'result[0] < 0.05', provider: prometheus('sum(rate(errors_total[1m])) / sum(rate(requests_total[1m]))') },
            { name: 'gpu', successCondition: 'result[0] < 0.9', provider: prometheus('avg(DCGM_FI_DEV_GPU_UTIL)') },
            { name: 'p90', successCondition: 'result[0] < 1', provider: prometheus('histogram_quantile(0.9, rate(vllm:e2e_request_latency_seconds_bucket[1m]))') },
            { name: 'dd', successCondition: 'result < 1', provider: { datadog: { query: 'avg:latency{*}' } } },
          ]),
        ),
        WHERE,
      ),
    );
    const lines = error.message.split('\n').filter((l) => l.startsWith('  - '));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/metrics\[1\]\.provider\.prometheus\.query: "avg\(DCGM_FI_DEV_GPU_UTIL\)": expected a histogram_quantile/);
    expect(lines[1]).toMatch(/metrics\[2\].*quantile 0\.9 is not simulated/);
    expect(lines[2]).toMatch(/metrics\[3\]\.provider: datadog is not simulated/);
    expect(error.message).toMatch(/AnalysisTemplate\/mixed.*spec\.rollout\.analysisTemplates\.mixed/s);
  });
});
