/**
 * Conformance with the Kubernetes Deployment controller's and Argo Rollouts' own table-driven unit tests
 * (../shared/reference/upstream-tables, one JSON file per upstream test function). Every case of every table is
 * either run through the project's arithmetic — one `it` per case, named after the upstream test and case — or
 * listed as not applicable with the reason; the last test checks that nothing was dropped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { intCount, type IntOrPercent } from '../../sim/config/int-or-percent.js';
import { zIntOrPercent } from '../../sim/config/zod-units.js';
import {
  abortScaleDown,
  approximateWeightedCanaryStableReplicaCounts,
  calculateReplicaCountsForBasicCanary,
  canaryReplicasOrWeight,
  currentSetWeight,
  desiredCanaryWeight,
  replicasForScaleDown,
  trafficRoutedReplicaCounts,
  trafficWeightToReplicas,
  type CanaryPosition,
  type CanaryStepLike,
  type RsCounts,
} from '../../sim/rollout/canary-arithmetic.js';
import { maxSurge, maxUnavailable, minAvailable, resolveFenceposts, type RollingUpdateParams } from '../../sim/rollout/fenceposts.js';
import { deploymentComplete, deploymentTimedOut, madeProgress, type DeploymentCounts } from '../../sim/rollout/progress.js';
import { replicaSetFraction } from '../../sim/rollout/proportional-scaling.js';
import { recreateSyncStep } from '../../sim/rollout/recreate.js';
import {
  cleanupUnhealthyReplicas,
  newRSNewReplicas,
  reconcileNewReplicaSet,
  reconcileOldReplicaSets,
  scaleDownOldReplicaSetsForRollingUpdate,
  totalSpec,
  type RsSnapshot,
} from '../../sim/rollout/rolling-update.js';

const TABLES_DIR = resolve(fileURLToPath(new URL('../..', import.meta.url)), '../shared/reference/upstream-tables');

/** The upstream tables hold 236 cases; a lost file or case must fail the suite, not shrink it. */
const EXPECTED_CASES = 236;

/** A case's `in` / `expect` object: JSON whose fields each adapter reads as its upstream test defines them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the shape differs per table
type Json = any;

interface Table {
  readonly upstream: { readonly repo: string; readonly test: string };
  readonly adapter: string;
  readonly cases: readonly { readonly name: string; readonly in: Json; readonly expect: Json }[];
}

/** What the suite does with one upstream case. */
type Verdict = { readonly check: () => void } | { readonly notApplicable: string };

type Adapter = (input: Json, expected: Json) => Verdict;

/** An upstream IntOrString: a number is a count, a string goes through the scenario's own parser. */
function intOrPercent(value: number | string): IntOrPercent {
  return typeof value === 'number' ? intCount(value) : zIntOrPercent.parse(value);
}

function rollingParams(input: Json): RollingUpdateParams {
  return {
    replicas: input.replicas,
    maxSurge: intOrPercent(input.maxSurge ?? 0),
    maxUnavailable: intOrPercent(input.maxUnavailable ?? 0),
  };
}

function rs(id: number, spec: number, available: number, createdAt: number): RsSnapshot {
  return { id, spec, available, createdAt };
}

const NO_BUDGET_FOR_STRATEGY =
  'the upstream function answers 0 for a strategy without a surge/unavailability budget (blue-green, Recreate); ' +
  "the project's budget functions take a rolling strategy's parameters and the other controllers never call them";

/** Argo canary with one step {setWeight, setCanaryScale?} at index 0, as upstream newRollout builds it. */
function canaryPosition(input: Json, extra: Partial<CanaryPosition> = {}): CanaryPosition {
  const step: CanaryStepLike = { setWeight: input.setWeight, setCanaryScale: input.setCanaryScale };
  const trafficRouted = input.trafficRouting === true;
  const noStable = input.stableIsNil === true || input.stableIsCanary === true;
  return {
    replicas: input.replicas,
    steps: [step],
    index: 0,
    aborted: input.aborted === true,
    trafficRouted,
    dynamicStableScale: false,
    abortScaleDown: abortScaleDown(trafficRouted, input.abortScaleDownDelaySeconds),
    canary: input.canary,
    stable: noStable ? null : input.stable,
    fullWeight: input.promoteFull === true || noStable,
    ...extra,
  };
}

const adapters: Record<string, Adapter> = {
  argoApproximate: (input, expected) =>
    input.maxWeight !== 100
      ? { notApplicable: 'weights are percentages in the project (maxWeight 100)' }
      : {
          check: () =>
            expect(approximateWeightedCanaryStableReplicaCounts(input.replicas, input.weight, input.maxSurge)).toEqual(expected),
        },

  argoCanaryCounts: (input, expected) => ({
    check: () => {
      const p = canaryPosition(input);
      const { replicas: explicit, weight } = canaryReplicasOrWeight(p);
      const counts = p.trafficRouted
        ? trafficRoutedReplicaCounts({
            replicas: input.replicas,
            weight,
            canaryReplicasOverride: explicit ?? undefined,
            dynamicStableScale: false,
            aborted: p.aborted,
            minPodsPerReplicaSet: input.minPodsPerReplicaSet,
          })
        : calculateReplicaCountsForBasicCanary({
            rollout: rollingParams(input),
            weight,
            canary: p.canary,
            stable: p.stable,
            olderSpec: input.olderRS?.spec ?? 0,
          });
      expect(counts).toEqual(expected);
    },
  }),

  argoDynamicScale: (input, expected) => ({
    check: () => {
      const steps: CanaryStepLike[] = [{ setWeight: input.firstStepSetWeight }, ...input.extraSteps];
      const p: CanaryPosition = {
        replicas: input.replicas,
        steps,
        index: 0,
        aborted: input.aborted,
        trafficRouted: true,
        dynamicStableScale: true,
        abortScaleDown: abortScaleDown(true, undefined),
        canary: input.canaryRS,
        stable: input.stableRS,
      };
      const { replicas: explicit, weight } = canaryReplicasOrWeight(p);
      const counts = trafficRoutedReplicaCounts({
        replicas: input.replicas,
        weight,
        canaryReplicasOverride: explicit ?? undefined,
        dynamicStableScale: true,
        currentWeights: input.weights,
        aborted: input.aborted,
      });
      expect(counts).toEqual(expected);
    },
  }),

  argoAbortWeight: (input, expected) => ({
    check: () => {
      const p: CanaryPosition = {
        replicas: 10,
        steps: [{ setWeight: 10 }, { setWeight: 50 }],
        index: 0,
        aborted: true,
        trafficRouted: true,
        dynamicStableScale: true,
        abortScaleDown: abortScaleDown(true, input.abortDelay ?? undefined),
        canary: { spec: 5, available: 5 },
        stable: { spec: input.stableAvailable, available: input.stableAvailable },
      };
      if (input.weights === undefined) {
        expect({ weight: desiredCanaryWeight(p) }).toEqual(expected);
        return;
      }
      const { weight } = canaryReplicasOrWeight(p);
      const counts = trafficRoutedReplicaCounts({
        replicas: 10,
        weight,
        dynamicStableScale: true,
        currentWeights: input.weights,
        aborted: true,
      });
      expect({ stable: counts.stable }).toEqual(expected);
    },
  }),

  canaryReplicasOrWeight: (input, expected) => ({
    check: () => {
      // A blue-green rollout (the last upstream case) records no stable ReplicaSet for the canary functions:
      // only the "no stable ⇒ full weight" branch is exercised.
      const p: CanaryPosition = {
        replicas: 1,
        steps: input.steps ?? [],
        index: input.index ?? 0,
        aborted: input.aborted === true,
        trafficRouted: input.trafficRouting === true,
        dynamicStableScale: false,
        abortScaleDown: abortScaleDown(input.trafficRouting === true, undefined),
        canary: null,
        stable: null,
        fullWeight: input.promoteFull === true || input.stableRS === undefined,
      };
      expect(canaryReplicasOrWeight(p)).toEqual(expected);
    },
  }),

  currentSetWeight: (input, expected) => ({
    check: () => expect({ weight: currentSetWeight(input.steps, input.index, input.aborted) }).toEqual(expected),
  }),

  // The adapter's name predates the export of replicasForScaleDown; the function is now exported and run.
  notExported: (input, expected) => ({
    check: () =>
      expect({ replicas: replicasForScaleDown(input.rs as RsCounts | null, input.ignoreAvailability) }).toEqual(expected),
  }),

  maxSurge: (input, expected) =>
    input.blueGreen || input.recreate
      ? { notApplicable: NO_BUDGET_FOR_STRATEGY }
      : { check: () => expect({ value: maxSurge(rollingParams(input)) }).toEqual(expected) },

  maxUnavailable: (input, expected) =>
    input.blueGreen || input.recreate
      ? { notApplicable: NO_BUDGET_FOR_STRATEGY }
      : { check: () => expect({ value: maxUnavailable(rollingParams(input)) }).toEqual(expected) },

  minAvailable: (input, expected) =>
    input.recreate
      ? { notApplicable: NO_BUDGET_FOR_STRATEGY }
      : { check: () => expect({ value: minAvailable(rollingParams(input)) }).toEqual(expected) },

  resolveFenceposts: (input, expected) => ({
    check: () => {
      // Upstream parses the strings (intstr.FromString); the project parses them in the scenario schema, so an
      // unparsable value must be rejected there.
      const parsed = [input.maxSurge, input.maxUnavailable].map((v: string | null) =>
        v === null ? { success: true as const, data: undefined } : zIntOrPercent.safeParse(v),
      );
      if (expected.error) {
        expect(parsed.some((r) => !r.success)).toBe(true);
        return;
      }
      const [surge, unavailable] = parsed.map((r) => (r.success ? r.data : undefined));
      expect({ ...resolveFenceposts(surge, unavailable, input.desired), error: false }).toEqual(expected);
    },
  }),

  trafficWeightToReplicas: (input, expected) =>
    input.maxWeight !== 100
      ? { notApplicable: 'weights are percentages in the project (maxWeight 100); a custom maxTrafficWeight is not modelled' }
      : { check: () => expect({ replicas: trafficWeightToReplicas(input.replicas, input.weight) }).toEqual(expected) },

  deploymentComplete: (input, expected) => ({
    check: () => {
      const status: DeploymentCounts = {
        replicas: input.current,
        updatedReplicas: input.updated,
        readyReplicas: input.available,
        availableReplicas: input.available,
      };
      expect({ complete: deploymentComplete(input.desired, status) }).toEqual(expected);
    },
  }),

  k8sCleanup: (input, expected) => ({
    check: () => {
      const old = rs(1, input.oldReplicas, input.readyPods, 0);
      expect({ cleaned: cleanupUnhealthyReplicas([old], input.maxCleanupCount).cleaned }).toEqual(expected);
    },
  }),

  k8sReconcileNew: (input, expected) =>
    input.policy === 'TerminationComplete'
      ? {
          notApplicable:
            'podReplacementPolicy TerminationComplete (feature-gated, KEP-5882) is not modelled: the rolling update ' +
            'counts spec.replicas and ignores terminating pods, the default policy',
        }
      : {
          check: () => {
            const d: RollingUpdateParams = { replicas: input.R, maxSurge: intCount(input.maxSurge), maxUnavailable: intCount(0) };
            const newRS = rs(2, input.new, 0, 1);
            const action = reconcileNewReplicaSet(d, [newRS, rs(1, input.old, 0, 0)], newRS);
            const got = action === null ? { scale: false } : { scale: true, newReplicas: action.replicas };
            expect(got).toEqual(expected);
          },
        },

  k8sReconcileOld: (input, expected) => ({
    check: () => {
      // Upstream asserts only whether the old side was scaled; expectedOldReplicas is not asserted there either.
      const d: RollingUpdateParams = {
        replicas: input.R,
        maxSurge: intCount(input.maxSurge),
        maxUnavailable: intCount(input.maxUnavailable),
      };
      const oldRS = rs(1, input.old, input.readyOld, 0);
      const newRS = rs(2, input.new, input.readyNew, 1);
      const actions = reconcileOldReplicaSets(d, [oldRS, newRS], [oldRS], newRS);
      expect({ scale: actions.length > 0 }).toEqual({ scale: expected.scale });
    },
  }),

  k8sScaleDownOld: (input, expected) => ({
    check: () => {
      const d: RollingUpdateParams = {
        replicas: input.R,
        maxSurge: intCount(input.maxSurge),
        maxUnavailable: intCount(input.maxUnavailable),
      };
      // No new ReplicaSet upstream: an empty one adds nothing to the available count.
      const result = scaleDownOldReplicaSetsForRollingUpdate(d, [rs(1, input.oldReplicas, input.readyPods, 0)], rs(2, 0, 0, 1));
      const got = result.scaledDown > 0 ? { scale: true, oldReplicas: result.rss[0].spec } : { scale: false };
      expect(got).toEqual(expected);
    },
  }),

  madeProgress: (input, expected) => ({
    check: () => expect({ progressing: madeProgress(input.before, input.after) }).toEqual(expected),
  }),

  deploymentTimedOut: (input, expected) => ({
    check: () => {
      const reason = input.reason === '' ? 'ReplicaSetUpdated' : input.reason;
      const condition = { status: 'True' as const, reason, lastUpdateTime: input.from, lastTransitionTime: input.from };
      expect({ timedOut: deploymentTimedOut(condition, input.pds, input.now) }).toEqual(expected);
    },
  }),

  k8sReplicaCount: (input, expected) => ({
    check: () => {
      // Only Σ spec.replicas has a counterpart; upstream's status and terminating sums are not modelled per RS.
      const spec: Record<string, number> = { rs1: 1, rs2: 2, rs3: 3, rs4: 1 };
      const sets = (input.sets as string[]).map((name, i) => rs(i, spec[name], 0, i));
      expect(totalSpec(sets)).toBe(expected.count);
    },
  }),

  // The table predates sim/rollout/proportional-scaling.ts; the adapter's name says so, the cases now run.
  notModelled: (input, expected) => ({
    check: () => {
      const d: RollingUpdateParams = {
        replicas: input.deploymentReplicas,
        maxSurge: intCount(input.deploymentMaxSurge ?? 0),
        maxUnavailable: intCount(1),
      };
      const rsWithAnnotation = { ...rs(1, input.rsReplicas, 0, 0), maxReplicasAnnotation: input.maxReplicasAnnotation };
      expect({ fraction: replicaSetFraction(rsWithAnnotation, d, input.deploymentStatusReplicas ?? 0) }).toEqual(expected);
    },
  }),

  k8sNewRSNewReplicas: (input, expected) => ({
    check: () => {
      if (input.strategy === 'Recreate') {
        // Recreate sizes the new ReplicaSet at replicas once the old pods are gone.
        const [action] = recreateSyncStep(input.depReplicas, rs(2, input.newRSReplicas, 0, 1), [], 0);
        expect({ replicas: action.type === 'scaleRS' ? action.replicas : null }).toEqual(expected);
        return;
      }
      const d: RollingUpdateParams = { replicas: input.depReplicas, maxSurge: intCount(input.maxSurge), maxUnavailable: intCount(1) };
      expect({ replicas: newRSNewReplicas(d, [rs(1, input.otherSpec, 0, 0)], input.newRSReplicas) }).toEqual(expected);
    },
  }),
};

/** Every case not applied, by `<upstream test> / <case>`, with the reason. */
const EXPECTED_NOT_APPLICABLE: readonly string[] = [
  'TestMaxSurge / maxSurge with BlueGreen deployment strategy',
  'TestMaxUnavailable / maxUnavailable with BlueGreen deployment strategy',
  'TestTrafficWeightToReplicas / assert 7: trafficWeightToReplicas(23, 100000000, 100000000)',
  'TestDeploymentController_reconcileNewReplicaSet / should scale up according to the terminating pods with TerminationComplete policy',
  'TestDeploymentController_reconcileNewReplicaSet / should scale up according to the terminating pods with TerminationComplete policy and unsynced new RS',
  'TestDeploymentController_reconcileNewReplicaSet / should error when scaling up according to the terminating pods with TerminationComplete policy and broken new RS (unknown terminatingReplicas)',
  'TestDeploymentController_reconcileNewReplicaSet / should scale up according to the status pods with TerminationComplete policy',
  'TestDeploymentController_reconcileNewReplicaSet / should scale up according to the maxSurge and terminating and status pods with TerminationComplete policy',
  'TestDeploymentController_reconcileNewReplicaSet / should not scale up according to the maxSurge due to terminating pods with TerminationComplete policy',
  'TestMaxUnavailable / maxUnavailable with Recreate deployment strategy',
  'TestMinAvailable / minAvailable with Recreate deployment strategy',
];

function loadTables(): Table[] {
  return readdirSync(TABLES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(resolve(TABLES_DIR, f), 'utf8')) as Table);
}

const tables = loadTables();
let casesRead = 0;
const applied: string[] = [];
const notApplicable: { id: string; reason: string }[] = [];

for (const table of tables) {
  const adapter = adapters[table.adapter];
  describe(`${table.upstream.repo} ${table.upstream.test}`, () => {
    it('has an adapter', () => expect(adapter, `adapter ${table.adapter}`).toBeDefined());
    if (!adapter) return;
    for (const c of table.cases) {
      casesRead++;
      const id = `${table.upstream.test} / ${c.name}`;
      const verdict = adapter(c.in, c.expect);
      if ('check' in verdict) {
        applied.push(id);
        it(`${table.upstream.test} / ${c.name}`, verdict.check);
      } else {
        notApplicable.push({ id, reason: verdict.notApplicable });
        it.skip(`${table.upstream.test} / ${c.name} — not applicable: ${verdict.notApplicable}`, () => {});
      }
    }
  });
}

describe('upstream conformance bookkeeping', () => {
  it('applies or lists every case read, and lists exactly the expected not-applicable cases, each with a reason', () => {
    expect(casesRead).toBe(EXPECTED_CASES);
    expect(applied.length + notApplicable.length).toBe(casesRead);
    expect(notApplicable.map((n) => n.id).sort()).toEqual([...EXPECTED_NOT_APPLICABLE].sort());
    for (const n of notApplicable) expect(n.reason.length, n.id).toBeGreaterThan(20);
  });
});
