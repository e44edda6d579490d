import { resolve } from 'node:path';
import { INPUT_LIMITS, readInputFile } from '../config/input-file.js';
import { InputError } from '../errors.js';
import { parseDocuments } from './manifest-documents.js';

/**
 * Gateway configurations as written for a cluster, read into the weights and mirror of a gatewayCutover step:
 * - Istio `VirtualService` (networking.istio.io): the default HTTP route's `route[].destination.subset` weights
 *   (a lone destination without a weight takes 100), and `mirror` with `mirrorPercentage.value` (absent: 100%,
 *   as Istio mirrors every request) or the newer `mirrors[]` with `percentage.value`.
 * - NGINX Ingress canary annotations (nginx.ingress.kubernetes.io/): on the canary Ingress (`canary: "true"`),
 *   `canary-weight` out of `canary-weight-total` (default 100) goes to the canary backend (new).
 * Header and cookie routing (Istio `match`, NGINX `canary-by-header` / `canary-by-cookie`) send only requests
 * that carry them: simulated requests carry none, so those rules are warned about and left out.
 */

type Doc = Record<string, unknown>;
type Version = 'old' | 'new';

export interface GatewayConfig {
  weights: { old: number; new: number };
  mirror?: number;
}

const NGINX = 'nginx.ingress.kubernetes.io/';

export function readVirtualService(doc: Doc, subsets: Readonly<Record<string, Version>>, where: string, warnings: string[]): GatewayConfig {
  if (doc.kind !== 'VirtualService' || typeof doc.apiVersion !== 'string' || !doc.apiVersion.startsWith('networking.istio.io/')) {
    throw new InputError(`expected an Istio VirtualService (networking.istio.io); found ${String(doc.kind)} ${String(doc.apiVersion)}`, where);
  }
  const http = asList((doc.spec as Doc | undefined)?.http, `${where}: spec.http`);
  if (http.length === 0) throw new InputError('no HTTP route; expected spec.http[0].route', `${where}: spec.http`);
  const routeIndex = http.findIndex((r) => (r as Doc).match === undefined);
  const chosen = routeIndex === -1 ? 0 : routeIndex;
  if (http.length > 1 || routeIndex !== 0) {
    warnings.push(`${where}: only spec.http[${chosen}] (the route without match rules) is simulated; header/URI matches send only requests that carry them`);
  }
  const rule = http[chosen] as Doc;
  const at = `${where}: spec.http[${chosen}]`;
  const routes = asList(rule.route, `${at}.route`);
  if (routes.length === 0) throw new InputError('no destinations', `${at}.route`);
  const weights = { old: 0, new: 0 };
  routes.forEach((r, i) => {
    const route = r as Doc;
    const version = versionOf(route.destination, subsets, `${at}.route[${i}].destination`);
    const weight = route.weight ?? (routes.length === 1 ? 100 : undefined);
    if (typeof weight !== 'number' || !(weight >= 0)) {
      throw new InputError(`weight ${JSON.stringify(route.weight)}: expected a number 0..100 (only a lone destination may omit it)`, `${at}.route[${i}].weight`);
    }
    weights[version] += weight;
  });
  if (weights.old + weights.new <= 0) throw new InputError('every weight is 0', `${at}.route`);
  const config: GatewayConfig = { weights };
  const mirror = mirrorPercent(rule, subsets, at);
  if (mirror !== undefined) config.mirror = mirror;
  return config;
}

function mirrorPercent(rule: Doc, subsets: Readonly<Record<string, Version>>, at: string): number | undefined {
  if (rule.mirror !== undefined) {
    const version = versionOf(rule.mirror, subsets, `${at}.mirror`);
    if (version !== 'new') throw new InputError('mirrors to the old version; the simulator mirrors to new', `${at}.mirror`);
    const value = (rule.mirrorPercentage as Doc | undefined)?.value;
    if (value === undefined) return 100;
    return percent(value, `${at}.mirrorPercentage.value`);
  }
  const mirrors = asList(rule.mirrors, `${at}.mirrors`);
  if (mirrors.length === 0) return undefined;
  const m = mirrors[0] as Doc;
  if (versionOf(m.destination, subsets, `${at}.mirrors[0].destination`) !== 'new') {
    throw new InputError('mirrors to the old version; the simulator mirrors to new', `${at}.mirrors[0]`);
  }
  const value = (m.percentage as Doc | undefined)?.value;
  return value === undefined ? 100 : percent(value, `${at}.mirrors[0].percentage.value`);
}

function versionOf(destination: unknown, subsets: Readonly<Record<string, Version>>, at: string): Version {
  const d = (destination ?? {}) as Doc;
  const name = typeof d.subset === 'string' ? d.subset : typeof d.host === 'string' ? d.host : undefined;
  const version = name === undefined ? undefined : subsets[name];
  if (version === undefined) {
    throw new InputError(
      `${name === undefined ? 'no subset or host' : `subset/host "${name}" is not mapped to a version`}; map it under gatewayCutover.subsets (mapped: ${Object.keys(subsets).join(', ')})`,
      at,
    );
  }
  return version;
}

export function readCanaryIngress(doc: Doc, where: string, warnings: string[]): GatewayConfig {
  if (doc.kind !== 'Ingress') throw new InputError(`expected an NGINX canary Ingress; found ${String(doc.kind)}`, where);
  const annotations = ((doc.metadata as Doc | undefined)?.annotations ?? {}) as Record<string, unknown>;
  if (annotations[`${NGINX}canary`] !== 'true') {
    throw new InputError(`not a canary Ingress: expected the annotation ${NGINX}canary: "true"`, `${where}: metadata.annotations`);
  }
  for (const key of ['canary-by-header', 'canary-by-header-value', 'canary-by-header-pattern', 'canary-by-cookie']) {
    if (annotations[NGINX + key] !== undefined) {
      warnings.push(`${where}: ${NGINX}${key} routes only requests that carry it (they take precedence over the weight); simulated requests carry none`);
    }
  }
  const weight = annotationNumber(annotations, 'canary-weight', 0, where);
  const total = annotationNumber(annotations, 'canary-weight-total', 100, where);
  if (!(total > 0) || weight > total) throw new InputError(`canary-weight ${weight} of canary-weight-total ${total}: expected 0 ≤ weight ≤ total`, `${where}: metadata.annotations`);
  const share = (100 * weight) / total;
  return { weights: { old: 100 - share, new: share } };
}

function annotationNumber(annotations: Record<string, unknown>, key: string, fallback: number, where: string): number {
  const value = annotations[NGINX + key];
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (Number.isNaN(n)) throw new InputError(`${JSON.stringify(value)} is not a whole number (annotations are strings, e.g. "20")`, `${where}: metadata.annotations.${NGINX}${key}`);
  return n;
}

function percent(value: unknown, at: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 100)) throw new InputError(`${JSON.stringify(value)}: expected a percentage 0..100`, at);
  return value;
}

function asList(value: unknown, at: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InputError(`${JSON.stringify(value)} is not a list`, at);
  return value;
}

/**
 * The loader's step: each gatewayCutover step naming a `virtualService` or `ingress` file gets that file's weights
 * and mirror in its place (the raw scenario, before validation), and the reader's warnings.
 */
export function applyGatewayManifests(raw: unknown, baseDir: string): { raw: unknown; warnings: string[] } {
  const cutover = (((raw as Doc | null)?.spec as Doc | undefined)?.rollout as Doc | undefined)?.strategy as Doc | undefined;
  const spec = cutover?.gatewayCutover as Doc | undefined;
  if (!spec || !Array.isArray(spec.steps)) return { raw, warnings: [] };
  const warnings: string[] = [];
  const subsets = (spec.subsets ?? { stable: 'old', blue: 'old', primary: 'old', canary: 'new', green: 'new' }) as Record<string, Version>;
  const steps = spec.steps.map((s, i) => {
    const step = s as Doc;
    const file = step.virtualService ?? step.ingress;
    if (typeof file !== 'string' || step.weights !== undefined) return step;
    const field = step.virtualService !== undefined ? 'virtualService' : 'ingress';
    const path = `spec.rollout.strategy.gatewayCutover.steps[${i}].${field}`;
    const text = readInputFile(resolve(baseDir, file), { what: 'gateway manifest', maxBytes: INPUT_LIMITS.manifest, path });
    const docs = parseDocuments(text, `${path} (${file})`);
    if (docs.length !== 1) throw new InputError(`expected one ${field === 'ingress' ? 'Ingress' : 'VirtualService'}; found ${docs.length} documents`, `${path} (${file})`);
    const where = `${path} (${file})`;
    const config = field === 'virtualService' ? readVirtualService(docs[0], subsets, where, warnings) : readCanaryIngress(docs[0], where, warnings);
    const { virtualService: _v, ingress: _i, ...rest } = step;
    return { ...rest, ...config, ...(step.mirror !== undefined ? { mirror: step.mirror } : {}) };
  });
  return { raw: { ...(raw as Doc), spec: { ...((raw as Doc).spec as Doc), rollout: { ...(((raw as Doc).spec as Doc).rollout as Doc), strategy: { gatewayCutover: { ...spec, steps } } } } }, warnings };
}
