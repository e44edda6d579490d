import type { VersionRole } from '../traffic/request.js';
import type { Endpoint, EndpointJoins, EndpointSource } from './endpoint.js';

/**
 * The two roles of a disaggregated fleet as the gateway sees them, from one view of every pod (the Service's
 * endpoints, or the router's own discovery): the prefill pods, and the decode pods the router picks from. A
 * version's decode pods are routable only while it has a prefill endpoint too: a request's KV cache can only go
 * to a decode pod of its own version (new weights cannot read the old version's KV), so the gateway does not send
 * requests to a version that cannot prefill them (the closed form's assumption too, serving/disaggregation.ts).
 *
 * The lists are rebuilt when the underlying view reports a change (`refresh`), in place: routing reads them
 * without allocating.
 */
export class RoleEndpoints {
  readonly prefill: EndpointSource;
  readonly decode: EndpointSource;
  private readonly prefillLists: Record<VersionRole, Endpoint[]> = { old: [], new: [] };
  private readonly decodeLists: Record<VersionRole, Endpoint[]> = { old: [], new: [] };

  constructor(
    private readonly all: EndpointSource,
    private readonly isPrefill: (podId: number) => boolean,
  ) {
    const joins: EndpointJoins | undefined = all.joins;
    this.prefill = { endpoints: (v) => this.prefillLists[v], ...(joins ? { joins } : {}) };
    this.decode = { endpoints: (v) => this.decodeLists[v], ...(joins ? { joins } : {}) };
  }

  /** The underlying view of `version` changed. */
  refresh(version: VersionRole): void {
    const prefill = this.prefillLists[version];
    const decode = this.decodeLists[version];
    let p = 0;
    let d = 0;
    for (const endpoint of this.all.endpoints(version)) {
      if (this.isPrefill(endpoint.podId)) prefill[p++] = endpoint;
      else decode[d++] = endpoint;
    }
    prefill.length = p;
    decode.length = p === 0 ? 0 : d;
  }
}
