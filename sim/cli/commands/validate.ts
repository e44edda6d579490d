import { scenarioJsonSchema } from '../../scenario/schema.js';
import { prepareRun } from '../../run/run-scenario.js';
import { loadScenarioFile } from '../../scenario/load.js';
import { printWarnings, toStringList } from '../options.js';

export function validateCommand(args: { scenario: string; set?: unknown }): number {
  const loaded = loadScenarioFile(args.scenario, toStringList(args.set));
  printWarnings(loaded);
  // Build the whole simulation (model fit, node pools, analysis templates…) without running it.
  prepareRun(loaded);
  process.stdout.write(`${args.scenario}: valid (hash ${loaded.hash})\n`);
  return 0;
}

export function schemaCommand(): number {
  process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  return 0;
}
