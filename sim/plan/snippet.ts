import { stringify } from 'yaml';
import { intOrPercentText } from '../config/int-or-percent.js';
import { PROBE_TIMING_DEFAULTS } from '../config/upstream-defaults.js';
import type { PlanBase, PlanConfig, ReadinessChoice } from './config.js';
import { InternalError } from '../errors.js';

/** vLLM's OpenAI server port (`vllm serve` default). */
const VLLM_PORT = 8000;

/**
 * The recommended configuration as Kubernetes YAML to merge into the user's manifest: a Deployment for a
 * rolling update, an Argo Rollout for blue-green and canary. Only the fields the plan decides are written;
 * comments say what lives elsewhere (the vLLM flag, reserved nodes).
 */
export function strategySnippet(config: PlanConfig, base: PlanBase, candidateId: string): string {
  const name = kubernetesName(base.loaded.scenario.metadata.name);
  const s = config.strategy;
  const argo = s.kind !== 'rollingUpdate' && s.kind !== 'recreate' && s.kind !== 'leaderWorkerSet';
  const workload = s.kind === 'leaderWorkerSet' ? 'LeaderWorkerSet' : argo ? 'Argo Rollout' : 'Deployment';
  const header = [
    `# rollout-sim plan, candidate ${candidateId}: merge these fields into your ${workload}.`,
    `# The container's args add --shutdown-timeout (vLLM 0.18 or later) to the server's own arguments.`,
  ];
  if (config.headroomNodes > 0) {
    const nodes = base.pool.nodes + config.headroomNodes;
    header.push(
      `# Reserve ${config.headroomNodes} more node${config.headroomNodes > 1 ? 's' : ''} in node pool "${base.pool.name}" ` +
        `(${nodes} nodes, minNodes ${nodes}) before the rollout, so surge pods need not wait for the autoscaler.`,
    );
  }
  if (config.slowStartSeconds !== undefined) {
    header.push(
      `# Gateway: slow start of ${config.slowStartSeconds}s for new pods (Envoy slow_start_config.slow_start_window, ` +
        `Istio DestinationRule loadBalancer.warmupDurationSecs).`,
    );
  }
  if (config.waitForEndpointSeconds !== undefined) {
    header.push(`# Router: hold a request up to ${config.waitForEndpointSeconds}s for a routable pod instead of an instant 503.`);
  }
  if (s.kind === 'leaderWorkerSet') return `${header.join('\n')}\n${stringify(leaderWorkerSetYaml(config, base, name), { lineWidth: 0 })}`;
  const manifest = {
    apiVersion: argo ? 'argoproj.io/v1alpha1' : 'apps/v1',
    kind: argo ? 'Rollout' : 'Deployment',
    metadata: { name },
    spec: {
      minReadySeconds: config.minReadySeconds,
      strategy: strategyYaml(config, name),
      template: { spec: podSpec(config, base) },
    },
  };
  return `${header.join('\n')}\n${stringify(manifest, { lineWidth: 0 })}`;
}

/** A DNS-1123 label from the scenario's name (what Kubernetes accepts as a Deployment or Service name). */
function kubernetesName(name: string): string {
  const label = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50).replace(/-+$/, '');
  return label === '' ? 'model' : label;
}

/**
 * A LeaderWorkerSet: LWS's rolling update, the leader's pod, and the workers' preStop that keeps them up while the
 * leader drains (a worker exits at SIGTERM and the engine with it).
 */
function leaderWorkerSetYaml(config: PlanConfig, base: PlanBase, name: string): Record<string, unknown> {
  const s = config.strategy as Extract<PlanConfig['strategy'], { kind: 'leaderWorkerSet' }>;
  const workerPreStop = config.preStopSeconds + config.shutdownTimeoutSeconds;
  const template: Record<string, unknown> = { leaderTemplate: { spec: podSpec(config, base) } };
  if (base.groupSize > 1) {
    template.workerTemplate = {
      spec: {
        terminationGracePeriodSeconds: config.terminationGracePeriodSeconds,
        containers: [{ name: 'vllm-worker', ...(workerPreStop > 0 ? { lifecycle: { preStop: { sleep: { seconds: workerPreStop } } } } : {}) }],
      },
    };
  }
  return {
    apiVersion: 'leaderworkerset.x-k8s.io/v1',
    kind: 'LeaderWorkerSet',
    metadata: { name },
    spec: {
      rolloutStrategy: { type: 'RollingUpdate', rollingUpdateConfiguration: { maxSurge: intOrPercentText(s.maxSurge), maxUnavailable: intOrPercentText(s.maxUnavailable) } },
      leaderWorkerTemplate: template,
    },
  };
}

function strategyYaml(config: PlanConfig, name: string): Record<string, unknown> {
  const s = config.strategy;
  switch (s.kind) {
    case 'leaderWorkerSet':
      throw new InternalError('a LeaderWorkerSet is written whole by leaderWorkerSetYaml');
    case 'rollingUpdate':
      return { type: 'RollingUpdate', rollingUpdate: { maxSurge: intOrPercentText(s.maxSurge), maxUnavailable: intOrPercentText(s.maxUnavailable) } };
    case 'blueGreen':
      return {
        blueGreen: {
          activeService: `${name}-active`,
          previewService: `${name}-preview`,
          scaleDownDelaySeconds: s.scaleDownDelaySeconds,
          ...(s.previewReplicaCount === null ? {} : { previewReplicaCount: s.previewReplicaCount }),
        },
      };
    case 'canary':
      return {
        canary: {
          maxSurge: intOrPercentText(s.maxSurge),
          maxUnavailable: intOrPercentText(s.maxUnavailable),
          steps: s.steps.map((step) => ('pause' in step && step.pause.duration !== undefined ? { pause: { duration: `${step.pause.duration}s` } } : step)),
        },
      };
    case 'recreate':
      return { type: 'Recreate' };
  }
}

function podSpec(config: PlanConfig, base: PlanBase): Record<string, unknown> {
  const container: Record<string, unknown> = {
    name: 'vllm',
    args: [`--shutdown-timeout=${config.shutdownTimeoutSeconds}`],
  };
  if (config.preStopSeconds > 0) container.lifecycle = { preStop: { sleep: { seconds: config.preStopSeconds } } };
  if (config.readiness !== null) container.readinessProbe = probeYaml(config.readiness, base);
  return { terminationGracePeriodSeconds: config.terminationGracePeriodSeconds, containers: [container] };
}

/** The probe the plan chose, with the scenario's own timeout and failure threshold (the plan keeps those), else Kubernetes'. */
function probeYaml(probe: ReadinessChoice, base: PlanBase): Record<string, unknown> {
  const written = base.loaded.scenario.spec.deployment.readinessProbe;
  const timeout = written?.timeoutSeconds ?? PROBE_TIMING_DEFAULTS.timeoutSeconds;
  const failureThreshold = written?.failureThreshold ?? PROBE_TIMING_DEFAULTS.failureThreshold;
  const timing = { periodSeconds: probe.periodSeconds, timeoutSeconds: timeout, failureThreshold };
  const model = base.loaded.scenario.spec.model.name ?? 'model';
  switch (probe.kind) {
    case 'port':
      return { tcpSocket: { port: VLLM_PORT }, ...timing };
    case 'health':
      return { httpGet: { path: '/health', port: VLLM_PORT }, ...timing };
    case 'synthetic-inference': {
      const body = JSON.stringify({ model, prompt: 'ping', max_tokens: 1 });
      const curl = `curl -sf -m ${timeout} http://localhost:${VLLM_PORT}/v1/completions -H 'Content-Type: application/json' -d '${body}'`;
      return { exec: { command: ['/bin/sh', '-c', curl] }, ...timing };
    }
  }
}

