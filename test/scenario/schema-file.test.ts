import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SCENARIO_SCHEMA_ID, scenarioJsonSchema } from '../../sim/scenario/schema.js';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SCHEMA_FILE = join(REPO, 'schema/scenario.schema.json');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

describe('the committed JSON Schema', () => {
  it('is what `rollout-sim schema` prints (regenerate: node dist/sim/cli/main.js schema > schema/scenario.schema.json)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  });

  it('has an $id and a title', () => {
    expect(scenarioJsonSchema()).toMatchObject({ $id: SCENARIO_SCHEMA_ID, title: expect.stringContaining('rollout-sim') });
  });

  it('is named on the first line of every scenario file in scenarios/', () => {
    const scenarios = yamlFiles(join(REPO, 'scenarios')).filter((file) => (parse(readFileSync(file, 'utf8')) as { kind?: string }).kind === 'Scenario');
    expect(scenarios.length).toBeGreaterThan(10);
    for (const file of scenarios) {
      const first = readFileSync(file, 'utf8').split('\n')[0];
      expect(first, file).toBe(`# yaml-language-server: $schema=${relative(dirname(file), SCHEMA_FILE)}`);
    }
  });
});
