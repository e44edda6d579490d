import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const CLI = join(ROOT, pkg.bin['rollout-sim']);

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split('\\').join('/'));
}

/** Lays out `project/node_modules/rollout-sim` as `npm install` does for a dependency: its dependencies hoisted
 * beside it (links to the repository's), its dist/ a link to the repository's build. */
function installAsDependency(projectVersion: string): { project: string; cli: string } {
  const project = mkdtempSync(join(tmpdir(), 'rollout-sim-consumer-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: projectVersion }));
  const modules = join(project, 'node_modules');
  const installed = join(modules, 'rollout-sim');
  mkdirSync(installed, { recursive: true });
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (!name.startsWith('.')) symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
  }
  copyFileSync(join(ROOT, 'package.json'), join(installed, 'package.json'));
  symlinkSync(join(ROOT, 'dist'), join(installed, 'dist'));
  return { project, cli: join(installed, pkg.bin['rollout-sim']) };
}

describe('rollout-sim --version', () => {
  it("prints package.json's version from any working directory", () => {
    const r = spawnSync(process.execPath, [CLI, '--version'], { cwd: tmpdir(), encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });

  it("prints its own version, not the depending project's, when installed as a dependency", () => {
    const { project, cli } = installAsDependency('9.9.9');
    // Without --preserve-symlinks Node would resolve every module back into the repository.
    const r = spawnSync(process.execPath, ['--preserve-symlinks', '--preserve-symlinks-main', cli, '--version'], {
      cwd: project,
      encoding: 'utf8',
    });
    rmSync(project, { recursive: true }); // removes the links, not what they point to
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });
});

describe('npm pack', () => {
  const packed = (): string[] => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout)[0].files.map((f: { path: string }) => f.path);
  };

  it('ships the compiled program and the scenario library, and nothing else', () => {
    const files = packed();
    const sources = [...filesUnder('sim'), ...filesUnder('reports')].filter((f) => f.endsWith('.ts'));
    const compiled = sources.flatMap((f) => [`dist/${f.replace(/\.ts$/, '.js')}`, `dist/${f.replace(/\.ts$/, '.d.ts')}`]);
    const scenarios = filesUnder('scenarios').filter((f) => !f.startsWith('scenarios/bench/'));
    expect(files).toContain(pkg.bin['rollout-sim']);
    expect(files).toContain('dist/sim/batch/worker.js'); // piscina loads it by path
    expect(files).toContain('dist/sim/expressions/math-instance.cjs'); // the build's bundle, required by path
    expect(files).toContain('scenarios/data/azure-conv-2023.csv');
    expect(files).toContain('schema/scenario.schema.json'); // the scenarios' editor line points at it
    expect(files).toEqual(expect.arrayContaining([...compiled, ...scenarios]));
    const stray = files.filter(
      (f) => !/^(dist\/(sim|reports)\/.*\.c?js|dist\/(sim|reports)\/.*\.d\.ts|scenarios\/.*|schema\/scenario\.schema\.json|package\.json|README\.md|LICENSE)$/.test(f),
    );
    expect(stray).toEqual([]);
    expect(files.filter((f) => f.startsWith('scenarios/bench/'))).toEqual([]);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const instructions = dockerfile
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: string[][] = [];
  for (const line of instructions) {
    if (/^FROM /i.test(line)) stages.push([]);
    stages.at(-1)!.push(line);
  }
  const runtime = stages.at(-1)!;

  it('builds in one Node 20 stage and runs from another holding only production dependencies', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage[0]).toMatch(/^FROM node:20-(bookworm-)?slim\b/);
    expect(stages[0].join('\n')).toMatch(/npm ci --ignore-scripts/);
    expect(stages[0].join('\n')).toMatch(/npm run build/);
    expect(runtime.join('\n')).toMatch(/npm ci --omit=dev --ignore-scripts/);
    expect(runtime.join('\n')).toMatch(/COPY --from=/);
  });

  it('runs as a non-root user with rollout-sim, the package bin, as its entrypoint', () => {
    const users = runtime.filter((line) => /^USER /i.test(line)).map((line) => line.split(/\s+/)[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    expect(runtime).toContain('ENTRYPOINT ["rollout-sim"]');
    expect(runtime.join('\n')).toContain(`ln -s /app/${pkg.bin['rollout-sim']} /usr/local/bin/rollout-sim`);
  });

  it("labels the image with package.json's version, the tag deploy/indexed-job.yaml runs", () => {
    expect(runtime.join('\n')).toContain(`org.opencontainers.image.version="${pkg.version}"`);
    const job = parseAllDocuments(readFileSync(join(ROOT, 'deploy/indexed-job.yaml'), 'utf8'))
      .map((d) => d.toJS())
      .find((d) => d.kind === 'Job');
    expect(job.spec.template.spec.containers[0].image).toMatch(new RegExp(`/rollout-sim:${pkg.version.replace(/\./g, '\\.')}$`));
  });
});

describe('.dockerignore', () => {
  const lines = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  /** Whether the build context keeps a folder: the last pattern naming it or a parent decides (plain paths only). */
  const kept = (dir: string): boolean => {
    let keep = true;
    for (const line of lines) {
      const path = line.replace(/^!/, '');
      if (dir === path || dir.startsWith(`${path}/`)) keep = line.startsWith('!');
    }
    return keep;
  };

  it('leaves out what the build makes itself and keeps everything the build compiles', () => {
    for (const dir of ['node_modules', 'dist', 'out', '.git']) expect(kept(dir), dir).toBe(false);
    const [, tsconfig, bundles] = /tsc -p (\S+) && rolldown -c (\S+)$/.exec(pkg.scripts.build)!;
    const build = JSON.parse(readFileSync(join(ROOT, tsconfig), 'utf8'));
    for (const path of [...build.include, 'scenarios', bundles]) expect(kept(path), path).toBe(true);
  });
});
