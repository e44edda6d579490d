import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { README_IMAGES, readmeImages } from '../../sim/cli/commands/demo.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const IMAGES = join(REPO, 'docs/img');

describe("the README's pictures", () => {
  it('are what the code draws now from the demo scenario (npm run docs:img regenerates them)', async () => {
    // Only the demo scenarios the pictures show are run, each once with its own seed, as `demo` runs them.
    const scenarios = [...new Set(README_IMAGES.map((image) => image.scenario))];
    const results = scenarios.map((name) => runScenario(loadScenarioFile(join(REPO, 'scenarios', `${name}.yaml`))));
    const drawn = await readmeImages(results);

    expect(readdirSync(IMAGES).sort(), 'docs/img holds exactly the generated pictures').toEqual(Object.keys(drawn).sort());
    for (const [file, svg] of Object.entries(drawn)) {
      expect(readFileSync(join(IMAGES, file), 'utf8') === svg, `docs/img/${file} is stale: run npm run docs:img`).toBe(true);
    }
  });

  it('are each shown in the README', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    for (const image of README_IMAGES) expect(readme).toContain(`](docs/img/${image.file})`);
  });
});
