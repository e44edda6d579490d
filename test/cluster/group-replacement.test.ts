/** LWS's PostTermination group replacement gate (lws#1050): per LeaderWorkerSet, the oldest G − T gated leaders go. */
import { describe, expect, it } from 'vitest';
import { ReplacementGate } from '../../sim/cluster/group-replacement.js';
import type { Pod } from '../../sim/cluster/pod.js';

function leader(name: string, workload = 'main'): Pod {
  return { name, stage: 'Running', workers: [] as Pod[], template: { group: { hash: { replacement: 'PostTermination', workload } } } } as unknown as Pod;
}

describe('the group replacement gate', () => {
  it('admits the oldest G − T gated leaders of each LeaderWorkerSet, the rest once deleted groups are fully gone', () => {
    const admitted: string[] = [];
    const gate = new ReplacementGate((l) => admitted.push(l.name), () => {});
    const old1 = leader('old-1');
    const old2 = leader('old-2');
    old2.workers.push(leader('old-2-1'));
    gate.deleted(old1);
    gate.deleted(old2);
    // T = 2: two replacements wait, a prefill leader (another LeaderWorkerSet) does not.
    gate.hold(leader('new-1'));
    gate.hold(leader('new-2'));
    gate.hold(leader('prefill-1', 'prefill'));
    expect(admitted).toEqual(['prefill-1']);
    // old-1 is gone: T = 1, G = 2: the oldest goes.
    (old1 as { stage: string }).stage = 'Gone';
    gate.podGone(old1);
    expect(admitted).toEqual(['prefill-1', 'new-1']);
    // old-2's leader is gone but its worker is not: still tearing down.
    (old2 as { stage: string }).stage = 'Gone';
    gate.podGone(old2);
    expect(admitted).toEqual(['prefill-1', 'new-1']);
    old2.workers.length = 0;
    gate.podGone(old2);
    expect(admitted).toEqual(['prefill-1', 'new-1', 'new-2']);
  });

  it('a gated leader deleted before its turn leaves the queue without counting as a group tearing down', () => {
    const admitted: string[] = [];
    const gate = new ReplacementGate((l) => admitted.push(l.name), () => {});
    const old = leader('old');
    gate.deleted(old);
    const waiting = leader('new-1');
    gate.hold(waiting);
    gate.deleted(waiting);
    gate.hold(leader('new-2'));
    expect(admitted).toEqual([]);
    (old as { stage: string }).stage = 'Gone';
    gate.podGone(old);
    expect(admitted).toEqual(['new-2']);
  });
});
