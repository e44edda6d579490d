/**
 * Which LoRA adapter each request names: drawn by share from its own stream, or read from a trace column.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssues } from '../../sim/config/issues.js';
import { RandomStreams } from '../../sim/engine/random.js';
import { Simulator } from '../../sim/engine/simulator.js';
import type { RequestTarget } from '../../sim/traffic/clients.js';
import { zTraffic } from '../../sim/traffic/config.js';
import type { Request } from '../../sim/traffic/request.js';
import { TrafficSource } from '../../sim/traffic/source.js';
import { RecordingListener } from './fakes.js';

const dir = mkdtempSync(join(tmpdir(), 'adapters-test-'));
writeFileSync(join(dir, 'lora.csv'), 'TIMESTAMP,ContextTokens,GeneratedTokens,Adapter\n0,300,30,sql\n0.5,500,7,\n1,100,12,chat\n1.5,100,12,sql\n');
writeFileSync(join(dir, 'bad.csv'), 'TIMESTAMP,ContextTokens,GeneratedTokens,Adapter\n0,300,30,sql\n0.5,500,7,nope\n');

class Collect implements RequestTarget {
  seen: Request[] = [];
  accept(req: Request): void {
    this.seen.push(req);
  }
  cancel(): void {}
}

function requests(input: unknown, until = 10): Request[] {
  const sim = new Simulator();
  const source = new TrafficSource(sim, new RandomStreams(3), zTraffic.parse(input), new RecordingListener(), dir);
  const target = new Collect();
  source.start(target);
  sim.run(until);
  return target.seen;
}

const problems = (input: unknown): string[] => {
  const result = zTraffic.safeParse(input);
  return result.success ? [] : formatIssues(result.error.issues, input);
};

describe('traffic adapters', () => {
  it('draws adapters by share; the rest is the base model', () => {
    const seen = requests({ arrival: { poisson: { rate: '200/s' } }, promptTokens: 100, outputTokens: 10, adapters: [{ name: 'a', share: 0.5 }, { name: 'b', share: 0.3 }] }, 20);
    const share = (id: number) => seen.filter((r) => r.requestedAdapter === id).length / seen.length;
    expect(seen.length).toBeGreaterThan(3000);
    expect(share(0)).toBeCloseTo(0.5, 1);
    expect(share(1)).toBeCloseTo(0.3, 1);
    expect(share(-1)).toBeCloseTo(0.2, 1);
    expect(seen.every((r) => r.adapter === r.requestedAdapter)).toBe(true);
  });

  it('reads them from a trace column, an empty cell being the base model', () => {
    const seen = requests({ arrival: { trace: { file: 'lora.csv' } }, adapters: [{ name: 'sql' }, { name: 'chat' }], adapterColumn: 'Adapter' });
    expect(seen.map((r) => r.requestedAdapter)).toEqual([0, -1, 1, 0]);
  });

  it('refuses an adapter the list does not name, at its row', () => {
    expect(() => requests({ arrival: { trace: { file: 'bad.csv' } }, adapters: [{ name: 'sql' }], adapterColumn: 'Adapter' })).toThrow(/bad\.csv line 3, column Adapter.*"nope"/s);
  });

  it('wants shares or a column, never both, and shares adding up to at most 1', () => {
    expect(problems({ arrival: { poisson: { rate: 1 } }, promptTokens: 1, outputTokens: 1, adapters: [{ name: 'a' }] })).toEqual([
      'adapters[0].share: missing; a share is required unless traffic.adapterColumn names a trace column (got nothing)',
    ]);
    expect(problems({ arrival: { trace: { file: 'lora.csv' } }, adapters: [{ name: 'sql', share: 1 }], adapterColumn: 'Adapter' }).join()).toContain('remove the share');
    expect(problems({ arrival: { poisson: { rate: 1 } }, promptTokens: 1, outputTokens: 1, adapters: [{ name: 'a' }], adapterColumn: 'Adapter' }).join()).toContain('needs a trace arrival');
    expect(() => requests({ arrival: { poisson: { rate: 1 } }, promptTokens: 1, outputTokens: 1, adapters: [{ name: 'a', share: 0.7 }, { name: 'b', share: 0.4 }] })).toThrow(
      /spec\.traffic\.adapters.*add up to 1\.1/s,
    );
  });
});
