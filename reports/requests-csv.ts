import { InternalError } from '../sim/errors.js';
import type { RequestRecord, RunResult } from '../sim/run/result.js';
import { writeFileAtomic } from './atomic-write.js';
import { columnsOf, toCsv } from './csv.js';

export const REQUEST_COLUMNS = columnsOf<RequestRecord>({
  id: true,
  attempt: true,
  version: true,
  pod: true,
  arrival: true,
  firstTokenAt: true,
  finishedAt: true,
  promptTokens: true,
  outputTokens: true,
  tokensStreamed: true,
  outcome: true,
  cause: true,
});

/** requests.csv: one line per finished attempt; needs a run that collected requests. */
export function renderRequestsCsv(result: RunResult): string {
  if (!result.requests) {
    throw new InternalError('requests.csv asked for, but the run did not collect requests (run with requests on)');
  }
  return toCsv(result.requests, REQUEST_COLUMNS);
}

export function writeRequestsCsv(path: string, result: RunResult): void {
  writeFileAtomic(path, renderRequestsCsv(result));
}
