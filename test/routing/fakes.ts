import type { Endpoint, EndpointSource } from '../../sim/routing/endpoint.js';
import type { DropCause, RejectCause, Request, RequestSink, VersionRole } from '../../sim/traffic/request.js';

export class FakeEndpoint implements Endpoint {
  load = 0;
  room = true;
  /** What its metrics report (endpoint-picker scrapes). */
  waiting = 0;
  kv = 0;
  readonly cached = new Set<number>();
  readonly accepted: Request[] = [];
  readonly cancelled: Request[] = [];
  constructor(readonly podId: number) {}
  accept(req: Request): void {
    this.accepted.push(req);
    this.load++;
  }
  cancel(req: Request): void {
    this.cancelled.push(req);
    this.load--;
  }
  outstanding(): number {
    return this.load;
  }
  hasRoom(): boolean {
    return this.room;
  }
  hasPrefix(group: number): boolean {
    return this.cached.has(group);
  }
  waitingCount(): number {
    return this.waiting;
  }
  kvUsage(): number {
    return this.kv;
  }
}

export class FakeEndpoints implements EndpointSource {
  constructor(
    public old: FakeEndpoint[],
    public new_: FakeEndpoint[] = [],
  ) {}
  endpoints(version: VersionRole): readonly Endpoint[] {
    return version === 'old' ? this.old : this.new_;
  }
}

export function pods(from: number, count: number): FakeEndpoint[] {
  return Array.from({ length: count }, (_, i) => new FakeEndpoint(from + i));
}

export type SinkEvent =
  | { kind: 'firstToken' | 'completed'; req: Request; at: number }
  | { kind: 'dropped'; req: Request; at: number; cause: DropCause }
  | { kind: 'rejected'; req: Request; at: number; cause: RejectCause };

export class RecordingSink implements RequestSink {
  events: SinkEvent[] = [];
  firstToken(req: Request, at: number): void {
    this.events.push({ kind: 'firstToken', req, at });
  }
  completed(req: Request, at: number): void {
    this.events.push({ kind: 'completed', req, at });
  }
  dropped(req: Request, at: number, cause: DropCause): void {
    this.events.push({ kind: 'dropped', req, at, cause });
  }
  rejected(req: Request, at: number, cause: RejectCause): void {
    this.events.push({ kind: 'rejected', req, at, cause });
  }
  of(kind: SinkEvent['kind']): SinkEvent[] {
    return this.events.filter((e) => e.kind === kind);
  }
}
