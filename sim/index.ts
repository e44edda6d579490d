/**
 * rollout-sim as a library: load a scenario, run it, read the summary and the time series — what the CLI does,
 * for users who drive simulations from their own test suites.
 */
export { loadScenarioFile, loadScenarioText, ScenarioError, type LoadedScenario } from './scenario/load.js';
export { loadCatalogFile } from './scenario/catalog-file.js';
export { withUserCatalog, type UserCatalog } from './serving/catalog/catalog-scope.js';
export { scenarioJsonSchema, type Scenario, type ScenarioSpec } from './scenario/schema.js';
export { runScenario, type RunOptions } from './run/run-scenario.js';
export { preflight, type PreflightReport, type VerifiedFix } from './run/preflight.js';
export type { RunResult, RequestRecord } from './run/result.js';
export type { RolloutPhase } from './rollout/driver.js';
export type { PodEvent } from './cluster/event-log.js';
export { evaluateAssertions, assertionExitCode, type AssertionResult } from './run/assertions.js';
export type { Summary, LatencyStats, RolloutOutcome, BlockedBy } from './metrics/summary-types.js';
export type { SeriesRow } from './metrics/series.js';
export { runMany, type RunManyOptions } from './batch/run-many.js';
export type { RunSpec, RunOutcome } from './batch/run-spec.js';
export { estimate, type Estimate } from './batch/confidence.js';
export { estimateServing } from './serving/estimate.js';
export { calibrate, type CalibrateOptions } from './calibrate/calibrate.js';
export { backtest, type BacktestOptions, type BacktestReport, type BacktestRow } from './calibrate/backtest.js';
export { loadCalibrationFile, type CalibrationFile } from './config/calibration-file.js';
export { InputError, BudgetExceededError, InternalError } from './errors.js';
// Multi-node replicas, LeaderWorkerSet rollouts and prefill/decode pools at the group level (docs/multi-node.md).
export { parseGroupScenario, runGroupScenario, type GroupScenario, type GroupScenarioResult } from './scenario/group-scenario.js';
export { applyLwsManifests } from './scenario/lws-import.js';
export { lwsRollingUpdateParameters, type LwsRollingConfig } from './rollout/lws-arithmetic.js';
export { estimateMultiNode } from './serving/multi-node-estimate.js';
