import { InputError } from '../errors.js';
import { fieldError, fieldPath, type JsonDocument } from './json-input.js';

/**
 * `kubectl get events -o json` of a past rollout: a v1 List of core/v1 (or events.k8s.io/v1) Events. Per pod it
 * reads the times of Scheduled, Pulling, Pulled, Started and Killing (and Ready when a controller records one:
 * core Kubernetes does not), each at `eventTime`, else `firstTimestamp` (`deprecatedFirstTimestamp` in
 * events.k8s.io/v1), else `metadata.creationTimestamp`. A Pulled event's message carries kubelet's own pull
 * time ('Successfully pulled image "…" in 1m9.714s (…)'); 'already present on machine' is no pull.
 */
export interface PodTimeline {
  readonly pod: string;
  readonly scheduled?: number;
  readonly pulling?: number;
  readonly pulled?: number;
  /** Kubelet's measured pull seconds, from the Pulled message. */
  readonly pullSeconds?: number;
  readonly started?: number;
  readonly ready?: number;
  readonly killing?: number;
}

export interface RolloutEvents {
  readonly file: string;
  readonly pods: readonly PodTimeline[];
  /** First Scheduled to last Killing (or last event) of the file, seconds. */
  readonly durationSeconds: number;
  readonly records: number;
}

const REASONS: Readonly<Record<string, keyof PodTimeline>> = {
  Scheduled: 'scheduled',
  Pulling: 'pulling',
  Pulled: 'pulled',
  Started: 'started',
  Ready: 'ready',
  Killing: 'killing',
};

export function isK8sEvents(value: unknown): boolean {
  const items = (value as { items?: unknown } | null)?.items;
  return Array.isArray(items) && (value as { kind?: unknown }).kind !== undefined && items.every((e) => (e as { kind?: unknown })?.kind === 'Event' || (e as { reason?: unknown })?.reason !== undefined);
}

export function parseK8sEvents(doc: JsonDocument): RolloutEvents {
  const items = (doc.value as { items: unknown[] }).items;
  const pods = new Map<string, Record<string, number | string>>();
  let records = 0;
  let first = Infinity;
  let last = -Infinity;
  let lastKill = -Infinity;
  items.forEach((raw, i) => {
    const e = (raw ?? {}) as Record<string, unknown>;
    const path = `items[${i}]`;
    const object = (e.involvedObject ?? e.regarding) as { kind?: unknown; name?: unknown } | undefined;
    if (object?.kind !== 'Pod') return;
    if (typeof object.name !== 'string') throw fieldError(doc, `${path}.involvedObject.name`, 'the pod name', object.name);
    const reason = e.reason;
    const field = typeof reason === 'string' ? REASONS[reason] : undefined;
    if (field === undefined) return;
    const at = eventTime(doc, e, path);
    const pod = pods.get(object.name) ?? { pod: object.name };
    // The first occurrence counts (a restarted container's later Started is another start-up).
    if (pod[field] === undefined) pod[field] = at;
    if (reason === 'Pulled' && typeof e.message === 'string') {
      const took = /Successfully pulled image .* in ([0-9hms.]+)/.exec(e.message);
      if (took !== null && pod.pullSeconds === undefined) pod.pullSeconds = goDuration(doc, took[1], `${path}.message`);
    }
    pods.set(object.name, pod);
    records++;
    first = Math.min(first, at);
    last = Math.max(last, at);
    if (reason === 'Killing') lastKill = Math.max(lastKill, at);
  });
  if (records === 0) throw new InputError('has no pod events (Scheduled, Pulling, Pulled, Started, Killing); expected `kubectl get events -o json` of a rollout', fieldPath(doc, 'items'));
  const scheduled = [...pods.values()].map((p) => p.scheduled).filter((t): t is number => typeof t === 'number');
  const start = scheduled.length > 0 ? Math.min(...scheduled) : first;
  const end = lastKill > -Infinity ? lastKill : last;
  return { file: doc.file, pods: [...pods.values()] as unknown as PodTimeline[], durationSeconds: Math.max(0, end - start), records };
}

function eventTime(doc: JsonDocument, e: Record<string, unknown>, path: string): number {
  const candidates: [string, unknown][] = [
    ['eventTime', e.eventTime],
    ['firstTimestamp', e.firstTimestamp],
    ['deprecatedFirstTimestamp', e.deprecatedFirstTimestamp],
    ['metadata.creationTimestamp', (e.metadata as { creationTimestamp?: unknown } | undefined)?.creationTimestamp],
  ];
  for (const [field, value] of candidates) {
    if (value === null || value === undefined) continue;
    const t = typeof value === 'string' ? Date.parse(value) : NaN;
    if (!Number.isFinite(t)) throw fieldError(doc, `${path}.${field}`, 'an RFC 3339 time such as 2025-01-15T10:21:33Z', value);
    return t / 1000;
  }
  throw fieldError(doc, `${path}.eventTime`, 'a time (eventTime, firstTimestamp or metadata.creationTimestamp)', undefined);
}

/** A Go duration as kubelet prints it: 1m9.714s, 850ms, 2h3m. */
function goDuration(doc: JsonDocument, text: string, path: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3 };
  let total = 0;
  let rest = text;
  const part = /^([0-9.]+)(ms|h|m|s)/;
  while (rest.length > 0) {
    const m = part.exec(rest);
    if (m === null) throw fieldError(doc, path, 'a pull time such as 1m9.714s', text);
    total += Number(m[1]) * units[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}
