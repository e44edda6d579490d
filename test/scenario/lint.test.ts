import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../sim/scenario/load.js';
import { merge, scenario, type Doc } from '../validation/scenario-kit.js';

const warningsOf = (spec: Doc): string[] => loadScenarioText(JSON.stringify(scenario(spec))).warnings ?? [];

describe('scenario warnings (valid, but likely not what was meant)', () => {
  it('a well-formed scenario has none', () => {
    expect(warningsOf({ duration: '30m', rollout: { at: '5m', strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } })).toEqual([]);
  });

  it('duration: 90 with a rollout at 20 minutes: the bare number is seconds, and the rollout never starts', () => {
    const warnings = warningsOf({ duration: 90, rollout: { at: '20m', strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } });
    expect(warnings).toEqual([
      'spec.duration: the bare number 90 is read as 90 seconds; write it with a unit (90s, or 90m if minutes were meant)',
      'spec.rollout.at (1200 s) is not before the end of the run: the rollout never starts; the run ends at spec.duration = 90 s',
    ]);
  });

  it('a bare number under a minute is taken as meant', () => {
    expect(warningsOf({ duration: 59 })).toEqual([]);
  });

  it('canary pauses that outlast the run, and promotes or aborts after it', () => {
    const warnings = warningsOf({
      duration: '10m',
      rollout: {
        at: '1m',
        promoteAt: ['5m', '11m'],
        abortAt: '20m',
        strategy: { canary: { steps: [{ setWeight: 20 }, { pause: { duration: '5m' } }, { setWeight: 50 }, { pause: { duration: '4m' } }] } },
      },
    });
    expect(warnings).toEqual([
      "the canary's timed pauses add up to 540 s after spec.rollout.at (60 s), 600 s in all: the rollout cannot finish; the run ends at spec.duration = 600 s",
      'spec.rollout.promoteAt[1] (660 s) never happens: the run ends at spec.duration = 600 s',
      'spec.rollout.abortAt (1200 s) never happens: the run ends at spec.duration = 600 s',
    ]);
  });

  it('a grace period shorter than preStop + drain names the three fields and the sum', () => {
    const spec = merge({ duration: '10m' }, { deployment: { terminationGracePeriodSeconds: '30s', preStop: { sleep: '10s' } }, server: { model: 'llm', shutdownTimeout: '60s', serviceTime: undefined, concurrency: undefined } });
    expect(warningsOf(spec)).toEqual([
      'spec.deployment.terminationGracePeriodSeconds (30 s) is shorter than spec.deployment.preStop.sleep (10 s) + spec.server.shutdownTimeout (60 s) = 70 s: SIGKILL cuts the streams still draining; give a grace period of at least 70 s',
    ]);
    // With no drain (vLLM aborts at SIGTERM) the grace period cuts nothing the server would have finished.
    expect(warningsOf(merge(spec, { server: { shutdownTimeout: 0 } }))).toEqual([]);
    // A FIFO station has nothing to drain.
    expect(warningsOf(merge(spec, { server: { model: 'queue', shutdownTimeout: undefined, serviceTime: '50ms', concurrency: 8 } }))).toEqual([]);
  });
});
