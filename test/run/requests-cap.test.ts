import { describe, expect, it } from 'vitest';
import { run, scenario } from '../validation/scenario-kit.js';

describe('traffic.requests through a whole run', () => {
  it('ends with exactly N arrivals, every one accounted for', () => {
    const result = run(scenario({ duration: '120s', traffic: { requests: 50 } }));
    const r = result.summary.requests;
    expect(r.arrived).toBe(50);
    expect(r.completed + r.dropped + r.rejected + r.timedOut + r.inFlightAtEnd).toBe(50);
    expect(run(scenario({ duration: '120s' })).summary.requests.arrived).toBeGreaterThan(300);
  });
});
