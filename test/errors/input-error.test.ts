import { describe, expect, it } from 'vitest';
import { InputError } from '../../sim/errors.js';

describe('InputError', () => {
  it('keeps the path, what was expected and what was given apart, and composes the message once', () => {
    const e = new InputError({ expected: 'a whole number, 1 or more', got: '0' }, 'spec.server.maxNumSeqs');
    expect(e.message).toBe('spec.server.maxNumSeqs: expected a whole number, 1 or more, got 0');
    expect(e.detail).toBe('expected a whole number, 1 or more, got 0');
    expect([e.path, e.expected, e.got]).toEqual(['spec.server.maxNumSeqs', 'a whole number, 1 or more', '0']);
  });

  it('words a problem as "<got> <problem>; expected <expected>", each part only when given', () => {
    expect(new InputError({ got: '"soon"', problem: 'is not a duration', expected: 'e.g. 90s' }).message).toBe('"soon" is not a duration; expected e.g. 90s');
    expect(new InputError({ got: '-1', problem: 'is negative' }, 'x').message).toBe('x: -1 is negative');
    expect(new InputError('no node pools; declare at least one').message).toBe('no node pools; declare at least one');
  });

  it('moves to the path a caller knows, keeping every field', () => {
    const inner = new InputError({ expected: 'seconds (a number)', got: '"soon"' });
    const moved = inner.at('spec.traffic.arrival.trace.file');
    expect(moved).toBeInstanceOf(InputError);
    expect(moved.message).toBe('spec.traffic.arrival.trace.file: expected seconds (a number), got "soon"');
    expect([moved.detail, moved.expected, moved.got]).toEqual([inner.detail, inner.expected, inner.got]);
  });
});
