import type { MetricsRecorder } from '../metrics/recorder.js';
import type { OutcomeListener } from '../traffic/outcome.js';
import type { Request } from '../traffic/request.js';
import type { RequestRecord } from './result.js';

/** Passes every outcome on to the recorder and keeps a row per finished request. */
export function recordingRequests(recorder: MetricsRecorder, rows: RequestRecord[]): OutcomeListener {
  const row = (req: Request, at: number, outcome: RequestRecord['outcome'], cause: string): RequestRecord => ({
    id: req.logicalId,
    attempt: req.attempt,
    version: req.version ?? '',
    pod: req.podId,
    arrival: req.firstArrival,
    firstTokenAt: Number.isNaN(req.firstTokenAt) ? null : req.firstTokenAt,
    finishedAt: at,
    promptTokens: req.promptTokens,
    outputTokens: req.outputTokens,
    tokensStreamed: req.tokensStreamed,
    outcome,
    cause,
  });
  return {
    arrived: (at) => recorder.arrived(at),
    retried: () => recorder.retried(),
    completed: (req, at) => {
      recorder.completed(req, at);
      rows.push(row(req, at, 'completed', ''));
    },
    failed: (req, at, outcome, cause) => {
      recorder.failed(req, at, outcome, cause);
      rows.push(row(req, at, outcome, cause));
    },
  };
}
