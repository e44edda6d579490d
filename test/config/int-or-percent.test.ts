import { describe, expect, it } from 'vitest';
import { formatIntOrPercent, intCount, intOrPercentText, parseIntOrPercent, percent, scaledValue } from '../../sim/config/int-or-percent.js';
import { InputError } from '../../sim/errors.js';

describe('parseIntOrPercent (the one parser of maxSurge / maxUnavailable)', () => {
  it('reads a count as a number and a percentage as a string, as Kubernetes writes them', () => {
    expect(parseIntOrPercent(2)).toEqual(intCount(2));
    expect(parseIntOrPercent(0)).toEqual(intCount(0));
    expect(parseIntOrPercent('25%')).toEqual(percent(25));
    expect(parseIntOrPercent('0%')).toEqual(percent(0));
  });

  it.each([
    ['2', '"2" is not a percentage; write a whole percentage such as 25%, or a count such as 2 (a number, not a string)'],
    ['12.5%', '"12.5%" is not a percentage'],
    [-1, '-1 is negative; write a count of 0 or more, e.g. 2'],
    [2.5, '2.5 is neither a count nor a percentage; write e.g. 2 or 25%'],
    [null, 'null is neither a count nor a percentage'],
  ])('refuses %j at the path it is given', (input, message) => {
    let error: unknown;
    try {
      parseIntOrPercent(input, 'spec.rollout.strategy.rollingUpdate.maxSurge');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).path).toBe('spec.rollout.strategy.rollingUpdate.maxSurge');
    expect((error as InputError).got).toBe(JSON.stringify(input));
    expect((error as InputError).detail.startsWith(message)).toBe(true);
  });

  it('writes a value back as it was written, and shows it in text', () => {
    expect(intOrPercentText(parseIntOrPercent(2))).toBe(2);
    expect(intOrPercentText(parseIntOrPercent('25%'))).toBe('25%');
    expect([formatIntOrPercent(intCount(2)), formatIntOrPercent(percent(25))]).toEqual(['2', '25%']);
  });
});

describe('scaledValue (intstr.GetScaledValueFromIntOrPercent)', () => {
  it.each([
    [percent(25), 10, true, 3],
    [percent(25), 10, false, 2],
    [percent(25), 4, true, 1],
    [percent(10), 4, false, 0],
    [intCount(3), 10, false, 3],
  ])('%o of %i (round up: %s) is %i', (v, total, roundUp, pods) => {
    expect(scaledValue(v, total, roundUp)).toBe(pods);
  });
});
