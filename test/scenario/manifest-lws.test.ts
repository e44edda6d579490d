/**
 * A LeaderWorkerSet manifest as a scenario's multi-node deployment (spec.deployment.manifest): group size,
 * layout from the leader's vLLM flags, the workers' preStop, restart policy and rolling update, with what is not
 * modelled warned.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { resolveRun } from '../../sim/run/resolve.js';
import { importManifestText } from '../../sim/scenario/manifest.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';
import { inputError } from '../helpers/input-error.js';

const MANIFEST = 'scenarios/multi-node/manifests/vllm-405b-lws.yaml';
const WHERE = 'lws.yaml';

type Doc = Record<string, any>;
const base = (): Doc => parse(readFileSync(MANIFEST, 'utf8')) as Doc;
const leaderCommand = (doc: Doc): string[] => doc.spec.leaderWorkerTemplate.leaderTemplate.spec.containers[0].command;
const imported = (doc: Doc) => importManifestText(stringify(doc), WHERE);

describe('importing a LeaderWorkerSet into a scenario', () => {
  it("reads the group, the leader's pod and server, the layout, the workers' preStop and the rolling update", () => {
    const { fragment, warnings } = imported(base());
    expect(fragment.spec.deployment).toMatchObject({
      replicas: 4,
      terminationGracePeriodSeconds: 150,
      preStop: { sleep: 15 },
      readinessProbe: { kind: 'port', initialDelaySeconds: 15, periodSeconds: 10 },
      leaderWorkerSet: { size: 2, layout: 'pipeline', restartPolicy: 'RecreateGroupOnPodRestart', workerPreStop: { sleep: 140 } },
    });
    expect(fragment.spec.model).toEqual({ tensorParallel: 8 });
    expect(fragment.spec.server).toEqual({ maxNumSeqs: 128, shutdownTimeout: 120 });
    expect(fragment.spec.rollout?.strategy).toEqual({ leaderWorkerSet: { maxUnavailable: 0, maxSurge: 1 } });
    // The worker's Ray command and the port are named, not silently dropped.
    const unmodelled = warnings.find((w) => w.includes('not modelled, ignored'))!;
    expect(unmodelled).toMatch(/workerTemplate\.spec\.containers\[0\]\.command/);
    expect(unmodelled).toMatch(/\(--port\)/);
    expect(unmodelled).not.toMatch(/pipeline/);
  });

  it('one tensor-parallel group over every GPU of the group is the tensor layout; a layout that does not span the group is warned', () => {
    const tensor = base();
    leaderCommand(tensor)[2] = leaderCommand(tensor)[2].replace('--tensor-parallel-size 8', '--tensor-parallel-size 16').replace('--pipeline_parallel_size 2', '');
    expect(imported(tensor).fragment.spec.deployment.leaderWorkerSet).toMatchObject({ layout: 'tensor' });
    expect(imported(tensor).fragment.spec.model).toEqual({ tensorParallel: 8 });
    const odd = base();
    leaderCommand(odd)[2] = leaderCommand(odd)[2].replace('--pipeline_parallel_size 2', '--pipeline_parallel_size 4');
    expect(imported(odd).warnings.join('\n')).toMatch(/--tensor-parallel-size 8 and --pipeline-parallel-size 4 do not span the group's 2 pods × 8 GPUs; simulated as 2 pipeline stages of 8 GPUs/);
  });

  it('restartPolicy Default is None; LeaderReady is simulated as LeaderCreated and says so; only RollingUpdate exists', () => {
    const doc = base();
    doc.spec.leaderWorkerTemplate.restartPolicy = 'Default';
    doc.spec.startupPolicy = 'LeaderReady';
    const { fragment, warnings } = imported(doc);
    expect(fragment.spec.deployment.leaderWorkerSet).toMatchObject({ restartPolicy: 'None' });
    expect(warnings.join('\n')).toMatch(/spec\.startupPolicy: LeaderReady is simulated as LeaderCreated/);
    doc.spec.rolloutStrategy.type = 'Recreate';
    expect(inputError(() => imported(doc)).message).toMatch(/spec\.rolloutStrategy\.type.*"Recreate" is not a rollout strategy; LWS has only RollingUpdate/);
  });

  it('a single workerTemplate is the template of every member (LWS uses it for the leader too)', () => {
    const doc = base();
    const lwt = doc.spec.leaderWorkerTemplate;
    lwt.workerTemplate = lwt.leaderTemplate;
    delete lwt.leaderTemplate;
    const { fragment } = imported(doc);
    expect(fragment.spec.deployment.leaderWorkerSet).toEqual({ size: 2, layout: 'pipeline', restartPolicy: 'RecreateGroupOnPodRestart' });
  });

  it('the shipped scenario resolves to two-pod groups of 8 GPUs with the manifest settings', () => {
    const run = resolveRun(loadScenarioFile('scenarios/multi-node/vllm-405b-from-lws-manifest.yaml'));
    expect(run.templates.new.group).toEqual({ size: 2, restartPolicy: 'RecreateGroupOnPodRestart', workerPreStopSleep: 140, onePodPerNode: false, gangScheduling: false, hash: null });
    expect(run.templates.new.tensorParallel).toBe(8);
    expect(run.strategy).toBe('leaderWorkerSet');
  });
});
