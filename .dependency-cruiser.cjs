/**
 * The layering of rollout-sim, checked in CI (`npm run lint:layers`): a module may import its own layer and the
 * layers below it, never one above. docs/architecture.md explains each layer.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const LAYERS = [
  { name: 'foundation', paths: ['sim/errors\\.ts', 'sim/package-files\\.ts', 'sim/engine/', 'sim/expressions/', 'sim/config/'] },
  { name: 'traffic', paths: ['sim/traffic/'] },
  { name: 'serving, routing, metrics', paths: ['sim/serving/', 'sim/routing/', 'sim/metrics/'] },
  { name: 'cluster', paths: ['sim/cluster/'] },
  { name: 'rollout', paths: ['sim/rollout/'] },
  { name: 'scenario', paths: ['sim/scenario/'] },
  { name: 'run', paths: ['sim/run/'] },
  { name: 'batch, plan, calibrate', paths: ['sim/batch/', 'sim/plan/', 'sim/calibrate/'] },
  { name: 'reports', paths: ['reports/'] },
  { name: 'library entry', paths: ['sim/index\\.ts'] },
  { name: 'cli', paths: ['sim/cli/'] },
];

const pattern = (paths) => `^(${paths.join('|')})`;

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer.name.replace(/[^a-z]+/g, '-')}`,
  comment: `${layer.name} may not import a higher layer (${LAYERS.slice(i + 1).map((l) => l.name).join('; ')})`,
  severity: 'error',
  from: { path: pattern(layer.paths) },
  to: { path: pattern(LAYERS.slice(i + 1).flatMap((l) => l.paths)) },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'engine-knows-nothing-else',
      comment: 'the event loop, random streams and distributions import only each other and sim/errors.ts',
      severity: 'error',
      from: { path: '^sim/engine/' },
      to: { path: '^(sim|reports)/', pathNot: '^(sim/engine/|sim/errors\\.ts)' },
    },
    {
      name: 'no-cycles',
      comment: 'no import cycle, type-only imports included',
      severity: 'error',
      from: { path: '^(sim|reports)/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'every import resolves',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'unlayered-module',
      comment: 'every module of sim/ and reports/ belongs to a layer: add new folders to LAYERS',
      severity: 'error',
      from: { path: '^(sim|reports)/', pathNot: pattern(LAYERS.flatMap((l) => l.paths)) },
      to: {},
    },
  ],
  options: {
    // TypeScript 7 has no compiler API for dependency-cruiser; swc parses the sources, type-only imports included.
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    exclude: { path: '^(dist|node_modules|test)/' },
  },
};
