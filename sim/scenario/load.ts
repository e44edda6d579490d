import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { InputError } from '../errors.js';
import { formatIssues } from '../config/issues.js';
import { withUserCatalog, type UserCatalog } from '../serving/catalog/catalog-scope.js';
import { loadCatalogFile } from './catalog-file.js';
import { applyGatewayManifest } from './gateway-manifest.js';
import { applyManifest } from './manifest.js';
import { scenarioWarnings } from './lint.js';
import { applyOverrides } from './overrides.js';
import { scenarioSchema, type Scenario } from './schema.js';
import { INPUT_LIMITS, readInputFile } from '../config/input-file.js';

/** YAML aliases are bounded so a "billion laughs" file cannot blow up memory. */
const MAX_ALIAS_COUNT = 100;
const MAX_FILE_BYTES = 4 * 1024 * 1024;

export interface LoadedScenario {
  scenario: Scenario;
  /** Folder of the scenario file: relative paths inside it (traces, manifests, profiles) resolve from here. */
  baseDir: string;
  /** Short content hash of the validated document (after overrides), for reports and JUnit properties. */
  hash: string;
  /** The document as written, after overrides (before defaults). */
  raw: unknown;
  file: string | null;
  /** spec.catalog: the user's GPUs and models, usable by name (resolveRun puts it in force again). */
  catalog?: UserCatalog;
  /** Fields of an imported manifest that are not modelled, and likely mistakes (scenario/lint.ts). */
  warnings?: string[];
}

export class ScenarioError extends InputError {
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`${source} is not a valid scenario:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ScenarioError';
    this.problems = problems;
  }
}

export function parseScenarioText(text: string, source: string): unknown {
  if (text.length > MAX_FILE_BYTES) {
    throw new ScenarioError(source, [`the file is ${text.length} bytes; scenarios are limited to ${MAX_FILE_BYTES}`]);
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      source,
      doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`),
    );
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw new ScenarioError(source, [`YAML: ${(err as Error).message} (aliases are limited to ${MAX_ALIAS_COUNT})`]);
  }
}

export function validateScenario(raw: unknown, source: string): Scenario {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ScenarioError(source, ['expected a mapping with apiVersion, kind, metadata and spec']);
  }
  const result = scenarioSchema.safeParse(raw);
  if (!result.success) throw new ScenarioError(source, formatIssues(result.error.issues, raw));
  return result.data;
}

export function hashDocument(raw: unknown): string {
  return createHash('sha256').update(canonicalJson(raw)).digest('hex').slice(0, 12);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Loads, overrides and validates a scenario from YAML text (baseDir resolves the relative paths inside). */
export function loadScenarioText(
  text: string,
  options: { source?: string; baseDir?: string; overrides?: readonly string[] } = {},
): LoadedScenario {
  const source = options.source ?? 'scenario';
  const parsed = parseScenarioText(text, source);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ScenarioError(source, ['expected a mapping with apiVersion, kind, metadata and spec']);
  }
  const baseDir = options.baseDir ?? process.cwd();
  const manifest = applyManifest(applyOverrides(parsed, options.overrides ?? []), baseDir);
  const gateway = applyGatewayManifest(manifest.raw, baseDir);
  const raw = gateway.raw;
  const warnings = [...manifest.warnings, ...gateway.warnings];
  const catalog = userCatalogOf(raw, baseDir);
  const scenario = withUserCatalog(catalog, () => validateScenario(raw, source));
  return {
    scenario,
    baseDir,
    hash: hashDocument(raw),
    raw,
    file: null,
    ...(catalog === undefined ? {} : { catalog }),
    warnings: [...warnings, ...scenarioWarnings(scenario.spec, raw)],
  };
}

/** spec.catalog is read before validation: the names it adds are resolved while the spec is validated. */
function userCatalogOf(raw: unknown, baseDir: string): UserCatalog | undefined {
  const spec = (raw as { spec?: unknown }).spec;
  const file = spec !== null && typeof spec === 'object' ? (spec as { catalog?: unknown }).catalog : undefined;
  if (file === undefined) return undefined;
  if (typeof file !== 'string' || file === '') throw new InputError(`is ${JSON.stringify(file)}; expected the path of a catalog file`, 'spec.catalog');
  return loadCatalogFile(resolve(baseDir, file), 'spec.catalog');
}

export function loadScenarioFile(file: string, overrides: readonly string[] = []): LoadedScenario {
  const text = readInputFile(file, { what: 'scenario file', maxBytes: INPUT_LIMITS.scenario });
  const loaded = loadScenarioText(text, { source: file, baseDir: dirname(resolve(file)), overrides });
  return { ...loaded, file };
}
