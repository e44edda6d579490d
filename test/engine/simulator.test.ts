import { describe, expect, it } from 'vitest';
import { EventSet } from '../../sim/engine/event-set.js';
import { Simulator } from '../../sim/engine/simulator.js';
import { BudgetExceededError, InternalError } from '../../sim/errors.js';

describe('EventSet', () => {
  it('pops in time order, FIFO among equal times, through growth', () => {
    const set = new EventSet(16);
    // 5,000 events over 50 distinct times, inserted in a scrambled order.
    const n = 5000;
    for (let i = 0; i < n; i++) {
      const time = (i * 7919) % 50;
      set.push(time, i, 0, i);
    }
    let lastTime = -1;
    let lastSeq = -1;
    let popped = 0;
    while (set.pop()) {
      expect(set.topTime >= lastTime).toBe(true);
      if (set.topTime === lastTime) expect(set.topSeq).toBeGreaterThan(lastSeq);
      expect(set.topArg).toBe(set.topSeq);
      lastTime = set.topTime;
      lastSeq = set.topSeq;
      popped++;
    }
    expect(popped).toBe(n);
    expect(set.pop()).toBe(false);
  });
});

describe('Simulator', () => {
  it('runs handlers at their times with FIFO ties and the late lane after normal events', () => {
    const sim = new Simulator();
    const log: string[] = [];
    const record = sim.handler((arg) => log.push(`n${arg}@${sim.now}`));
    const late = sim.handler((arg) => log.push(`late${arg}@${sim.now}`));
    sim.at(5, record, 1);
    sim.atLate(5, late, 1);
    sim.at(5, record, 2);
    sim.at(1, record, 3);
    sim.atLate(5, late, 2);
    sim.run();
    expect(log).toEqual(['n3@1', 'n1@5', 'n2@5', 'late1@5', 'late2@5']);
  });

  it('lets a handler schedule more work at the same instant, which runs after queued same-time events', () => {
    const sim = new Simulator();
    const log: number[] = [];
    const h = sim.handler((arg) => {
      log.push(arg);
      if (arg === 1) sim.at(sim.now, h, 3);
    });
    sim.at(2, h, 1);
    sim.at(2, h, 2);
    sim.run();
    expect(log).toEqual([1, 2, 3]);
  });

  it('cancels events cheaply, including ids that already fired', () => {
    const sim = new Simulator();
    const fired: number[] = [];
    const h = sim.handler((arg) => fired.push(arg));
    const a = sim.at(1, h, 1);
    const b = sim.at(2, h, 2);
    sim.at(3, h, 3);
    sim.cancel(b);
    sim.run(1.5);
    expect(fired).toEqual([1]);
    sim.cancel(a); // already fired: no effect
    sim.cancel(-1);
    sim.run();
    expect(fired).toEqual([1, 3]);
  });

  it('keeps the cancellation set bounded when fired events are cancelled again and again', () => {
    const sim = new Simulator();
    const h = sim.handler(() => {});
    for (let i = 0; i < 50_000; i++) {
      const id = sim.at(i, h);
      sim.run(i);
      sim.cancel(id);
    }
    // @ts-expect-error reading a private field to check the bound
    expect(sim.cancelled.size).toBeLessThan(2000);
  });

  it('skips exactly the cancelled events among many sharing low id bits, normal and late lane alike', () => {
    const sim = new Simulator();
    const fired: number[] = [];
    const normal = sim.handler((arg) => fired.push(arg));
    const late = sim.handler((arg) => fired.push(-arg));
    const expected: number[] = [];
    // 20,000 events: ids collide modulo 4096 many times over; every third is cancelled, some twice.
    for (let i = 1; i <= 20_000; i++) {
      const id = i % 2 === 0 ? sim.at(i, normal, i) : sim.atLate(i, late, i);
      if (i % 3 === 0) {
        sim.cancel(id);
        if (i % 9 === 0) sim.cancel(id);
      } else {
        expected.push(i % 2 === 0 ? i : -i);
      }
    }
    sim.run();
    expect(fired).toEqual(expected);
    expect(sim.eventsProcessed).toBe(expected.length);
  });

  it('run(until) stops at the end time, advances the clock, and can resume', () => {
    const sim = new Simulator();
    const fired: number[] = [];
    const h = sim.handler((arg) => fired.push(arg));
    sim.at(10, h, 10);
    sim.at(20, h, 20);
    sim.run(10);
    expect(fired).toEqual([10]);
    expect(sim.now).toBe(10);
    sim.run(15);
    expect(sim.now).toBe(15);
    sim.run();
    expect(fired).toEqual([10, 20]);
    expect(sim.eventsProcessed).toBe(2);
  });

  it('stop() ends the run early', () => {
    const sim = new Simulator();
    let count = 0;
    const h = sim.handler(() => {
      if (++count === 3) sim.stop();
      sim.after(1, h);
    });
    sim.at(0, h);
    sim.run(100);
    expect(count).toBe(3);
  });

  it('refuses events in the past and unknown handlers as internal errors', () => {
    const sim = new Simulator();
    const h = sim.handler(() => {});
    sim.at(5, h);
    sim.run();
    expect(() => sim.at(4, h)).toThrow(InternalError);
    expect(() => sim.at(Number.NaN, h)).toThrow(InternalError);
    expect(() => sim.at(6, 99)).toThrow(InternalError);
  });

  it('stops a runaway model with a clear budget error instead of hanging', () => {
    const sim = new Simulator({ maxEvents: 10_000 });
    const h = sim.handler(() => sim.after(0, h)); // an instant loop that never advances time
    sim.at(0, h);
    expect(() => sim.run()).toThrow(BudgetExceededError);
    expect(() => {
      const s = new Simulator({ maxEvents: 100 });
      const g = s.handler(() => s.after(1, g));
      s.at(0, g);
      s.run();
    }).toThrow(/event budget 100/);
  });

  it('stops when too many events are pending', () => {
    const sim = new Simulator({ maxPendingEvents: 1000 });
    const h = sim.handler(() => {});
    expect(() => {
      for (let i = 0; i < 2000; i++) sim.at(i, h);
    }).toThrow(/pending events/);
  });

  it('stops when the heap exceeds the memory budget', () => {
    const sim = new Simulator({ maxHeapBytes: 1 });
    const h = sim.handler(() => sim.after(1, h));
    sim.at(0, h);
    expect(() => sim.run()).toThrow(/memory budget/);
  });
});
