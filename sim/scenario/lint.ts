import type { ScenarioSpec } from './schema.js';

/**
 * Mistakes a valid scenario can still carry, found before anything runs: a rollout the run ends before, a bare
 * number read as seconds where minutes were meant, a grace period that cuts the drain short. Each warning names
 * the fields and the arithmetic, so the fix is plain.
 */
export function scenarioWarnings(spec: ScenarioSpec, raw: unknown): string[] {
  const warnings: string[] = [];
  const written = (raw as { spec?: Record<string, unknown> } | null)?.spec ?? {};
  const duration = spec.duration;
  const end = `the run ends at spec.duration = ${seconds(duration)}`;

  for (const [field, value] of [
    ['spec.duration', written.duration],
    ['spec.rollout.at', (written.rollout as Record<string, unknown> | undefined)?.at],
  ] as const) {
    if (typeof value === 'number' && value >= 60) {
      warnings.push(`${field}: the bare number ${value} is read as ${value} seconds; write it with a unit (${value}s, or ${value}m if minutes were meant)`);
    }
  }

  const rollout = spec.rollout;
  if (rollout) {
    if (rollout.at >= duration) {
      warnings.push(`spec.rollout.at (${seconds(rollout.at)}) is not before the end of the run: the rollout never starts; ${end}`);
    } else {
      const steps = 'canary' in rollout.strategy ? rollout.strategy.canary.steps : [];
      const paused = steps.reduce((sum, step) => sum + ('pause' in step ? (step.pause.duration ?? 0) : 0), 0);
      if (rollout.at + paused >= duration) {
        warnings.push(
          `the canary's timed pauses add up to ${seconds(paused)} after spec.rollout.at (${seconds(rollout.at)}), ` +
            `${seconds(rollout.at + paused)} in all: the rollout cannot finish; ${end}`,
        );
      }
    }
    // A warning, not an error: compare and plan swap the strategy of a scenario that has it.
    if (rollout.previewTraffic !== undefined && !('blueGreen' in rollout.strategy)) {
      const strategy = Object.keys(rollout.strategy)[0];
      warnings.push(`spec.rollout.previewTraffic: only a blueGreen preview Service receives test requests; with ${strategy} none are sent`);
    }
    rollout.promoteAt.forEach((t, i) => {
      if (t >= duration) warnings.push(`spec.rollout.promoteAt[${i}] (${seconds(t)}) never happens: ${end}`);
    });
    if (rollout.abortAt !== undefined && rollout.abortAt >= duration) {
      warnings.push(`spec.rollout.abortAt (${seconds(rollout.abortAt)}) never happens: ${end}`);
    }
  }

  const deployment = spec.deployment;
  const drain = spec.server.model === 'llm' ? spec.server.shutdownTimeout : 0;
  const needed = deployment.preStop.sleep + drain;
  if (drain > 0 && deployment.terminationGracePeriodSeconds < needed) {
    warnings.push(
      `spec.deployment.terminationGracePeriodSeconds (${seconds(deployment.terminationGracePeriodSeconds)}) is shorter than ` +
        `spec.deployment.preStop.sleep (${seconds(deployment.preStop.sleep)}) + spec.server.shutdownTimeout (${seconds(drain)}) = ` +
        `${seconds(needed)}: SIGKILL cuts the streams still draining; give a grace period of at least ${seconds(needed)}`,
    );
  }
  // A role of LeaderWorkerSet groups (the deployment, a disaggregated deployment's prefill role) drains on its leader.
  // The new version's groups (rollout.newVersion.leaderWorkerSet) take their workers' preStop from the deployment's.
  const newSize = spec.rollout?.newVersion.leaderWorkerSet?.size ?? deployment.leaderWorkerSet?.size ?? 1;
  const groups = [
    { size: Math.max(deployment.leaderWorkerSet?.size ?? 1, newSize), lws: deployment.leaderWorkerSet, path: 'spec.deployment.leaderWorkerSet' },
    { size: deployment.disaggregation?.prefill.leaderWorkerSet?.size ?? 1, lws: deployment.disaggregation?.prefill.leaderWorkerSet, path: 'spec.deployment.disaggregation.prefill.leaderWorkerSet' },
  ];
  for (const { size, lws, path } of groups) {
    if (size === 1) continue;
    const workerPreStop = lws?.workerPreStop?.sleep ?? deployment.preStop.sleep;
    const leaderCut = Math.min(needed, deployment.terminationGracePeriodSeconds);
    if (workerPreStop < leaderCut) {
      warnings.push(
        `${path}: the workers exit at SIGTERM after their preStop (${seconds(workerPreStop)}` +
          `${lws?.workerPreStop ? '' : ', the same as the leader\'s'}), and the leader's engine with them, while the leader may drain until ` +
          `${seconds(leaderCut)} (preStop ${seconds(deployment.preStop.sleep)} + shutdownTimeout ${seconds(drain)}): streams still running then are ` +
          `cut (dropped:worker-lost); set ${path}.workerPreStop.sleep to at least ${seconds(leaderCut)}`,
      );
    }
  }
  return warnings;
}

function seconds(s: number): string {
  return `${Number(s.toFixed(3))} s`;
}

/**
 * A scenario's spec.model.tensorParallel replaces the one its manifest gives (nvidia.com/gpu, or
 * --tensor-parallel-size): the simulated pods then hold another number of GPUs than the manifest's would.
 * `manifest` names the file, e.g. `spec.deployment.manifest (vllm.yaml)`.
 */
export function tensorParallelOverride(manifest: string, fromManifest: number | undefined, raw: unknown): string | null {
  const model = (raw as { spec?: { model?: unknown } } | null)?.spec?.model;
  const written = model !== null && typeof model === 'object' ? (model as { tensorParallel?: unknown }).tensorParallel : undefined;
  if (fromManifest === undefined || typeof written !== 'number' || written === fromManifest) return null;
  return (
    `spec.model.tensorParallel (${written}) overrides ${manifest}, whose pods use ${fromManifest} GPUs ` +
    `(nvidia.com/gpu / --tensor-parallel-size): ${written} is simulated; remove spec.model.tensorParallel to simulate the manifest as written`
  );
}
