import type { FailureOutcome, OutcomeListener } from '../../sim/traffic/outcome.js';
import type { Request } from '../../sim/traffic/request.js';

export interface FinalOutcome {
  logicalId: number;
  attempt: number;
  at: number;
  outcome: 'completed' | FailureOutcome;
  cause: string;
}

/** Records what the client layer reports, as the metrics recorder would receive it. */
export class RecordingListener implements OutcomeListener {
  arrivals: number[] = [];
  finals: FinalOutcome[] = [];
  retries = 0;

  arrived(at: number): void {
    this.arrivals.push(at);
  }
  completed(req: Request, at: number): void {
    this.finals.push({ logicalId: req.logicalId, attempt: req.attempt, at, outcome: 'completed', cause: '' });
  }
  failed(req: Request, at: number, outcome: FailureOutcome, cause: string): void {
    this.finals.push({ logicalId: req.logicalId, attempt: req.attempt, at, outcome, cause });
  }
  retried(): void {
    this.retries++;
  }
}
