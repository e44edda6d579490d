import type { PodEvent } from '../sim/cluster/event-log.js';
import type { RunResult } from '../sim/run/result.js';
import { writeFileAtomic } from './atomic-write.js';
import { columnsOf, toCsv } from './csv.js';

export const EVENT_COLUMNS = columnsOf<PodEvent>({ t: true, pod: true, version: true, node: true, event: true, reason: true });

/** events.csv: the pod event log in time order, as the run recorded it. */
export function renderEventsCsv(result: RunResult): string {
  return toCsv(result.events, EVENT_COLUMNS);
}

export function writeEventsCsv(path: string, result: RunResult): void {
  writeFileAtomic(path, renderEventsCsv(result));
}
