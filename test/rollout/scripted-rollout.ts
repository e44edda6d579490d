/**
 * Builds a controller the way a run does, from a scenario's `rollout` section, for the scripted host. Kept apart
 * from scripted-host.ts because the schema and the analysis expressions are slow to import, and the Deployment
 * tests do not need them.
 */
import type { z } from 'zod';
import type { ReplicaSet } from '../../sim/cluster/replicaset.js';
import type { RolloutController } from '../../sim/rollout/controller.js';
import { createController } from '../../sim/rollout/create-controller.js';
import { zRollout } from '../../sim/rollout/strategy-schema.js';
import type { ScriptedHost } from './scripted-host.js';

/**
 * The controller a scenario's `rollout` section would create (schema defaults applied, analysis templates
 * resolved) over `stable`, whose spec is the desired replica count, driven by `host` from `startAt`.
 */
export function scriptedRollout(
  host: ScriptedHost,
  stable: ReplicaSet,
  rollout: Omit<z.input<typeof zRollout>, 'at'>,
  startAt = 0,
): RolloutController {
  const spec = zRollout.parse({ at: startAt, ...rollout });
  const controller = createController(spec, host, stable, stable.spec);
  host.drive(controller, startAt);
  return controller;
}
