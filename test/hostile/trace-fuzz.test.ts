/**
 * Hostile trace files (issue 8 §5): bad rows, missing or renamed columns, NaN, negative or fractional tokens,
 * times out of order, garbage bytes, a line with no end. A run replaying one ends normally or with an InputError
 * that names the line (and, for a bad cell, the column) — never another exception.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../sim/errors.js';
import { sharedData } from '../shared-data.js';
import { run, scenario } from '../validation/scenario-kit.js';

const ROWS = readFileSync(sharedData('traces/azure-llm-2023/conv.csv'), 'utf8').split(/\r?\n/).slice(0, 41);
const HEADER = ROWS[0];
const BODY = ROWS.slice(1);
const COLUMNS = HEADER.split(',');
const DIR = mkdtempSync(join(tmpdir(), 'trace-fuzz-'));
mkdirSync(DIR, { recursive: true });
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

let files = 0;
/** Replays `text` as the trace of a one-replica LLM fleet for long enough to read every row. */
function replay(text: string): { ok: true } | { ok: false; message: string } {
  const file = join(DIR, `t${files++}.csv`);
  writeFileSync(file, text);
  try {
    run(
      scenario({
        duration: '40s',
        server: { model: 'llm', serviceTime: undefined, concurrency: undefined, maxNumSeqs: 64, maxNumBatchedTokens: 4096 },
        deployment: { replicas: 1 },
        traffic: { arrival: { poisson: undefined, trace: { file } }, promptTokens: undefined, outputTokens: undefined, maxPromptTokens: 8000 },
      }),
    );
    return { ok: true };
  } catch (error) {
    if (error instanceof InputError) return { ok: false, message: error.message };
    throw new Error(`not an InputError: ${error instanceof Error ? error.stack : String(error)}`);
  }
}

const BAD_COUNTS = ['', ' ', 'NaN', '-5', '-0', '3.5', '1e3', '0x10', '∞', 'Infinity', '12abc', '"12"', '\u0000'];
const BAD_TIMES = ['', 'NaN', 'yesterday', '2023-13-45 25:61:61', '2023-11-16T18:15:46.68Z', '18:15:46', '1e999', '--1'];

describe('trace reader fuzz', () => {
  it('a bad token count names its line and column', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: BODY.length - 1 }), fc.constantFrom(1, 2), fc.constantFrom(...BAD_COUNTS), (row, col, value) => {
        const cells = BODY[row].split(',');
        cells[col] = value;
        const body = [...BODY];
        body[row] = cells.join(',');
        const outcome = replay([HEADER, ...body].join('\n'));
        expect(outcome.ok).toBe(false);
        if (!outcome.ok) expect(outcome.message).toMatch(new RegExp(`line ${row + 2}, column ${COLUMNS[col]}: expected a whole number`));
      }),
      { seed: 1, numRuns: 40 },
    );
  });

  it('a bad timestamp names its line and the TIMESTAMP column', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: BODY.length - 1 }), fc.constantFrom(...BAD_TIMES), (row, value) => {
        const body = [...BODY];
        body[row] = [value, ...BODY[row].split(',').slice(1)].join(',');
        const outcome = replay([HEADER, ...body].join('\n'));
        expect(outcome.ok).toBe(false);
        if (!outcome.ok) expect(outcome.message).toMatch(new RegExp(`line ${row + 2}, column TIMESTAMP`));
      }),
      { seed: 2, numRuns: 30 },
    );
  });

  it('rows with too few or too many cells, and rows out of time order, name their line', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: BODY.length - 1 }), fc.constantFrom('drop', 'extra', 'swap'), (row, kind) => {
        const body = [...BODY];
        if (kind === 'drop') body[row] = body[row].split(',').slice(0, 2).join(',');
        else if (kind === 'extra') body[row] = `${body[row]},7`;
        else [body[row - 1], body[row]] = [body[row], body[row - 1]];
        const outcome = replay([HEADER, ...body].join('\n'));
        // Two rows at the same instant swap harmlessly.
        if (kind === 'swap' && BODY[row - 1].split(',')[0] === BODY[row].split(',')[0]) return;
        expect(outcome.ok).toBe(false);
        if (!outcome.ok) expect(outcome.message).toMatch(new RegExp(`line ${row + 2}`));
      }),
      { seed: 3, numRuns: 30 },
    );
  });

  it.each<[string, string, RegExp | null]>([
    ['an empty file', '', /empty; expected the header TIMESTAMP,ContextTokens,GeneratedTokens/],
    ['a header only', `${HEADER}\n`, /header but no rows/],
    ['a missing column', [HEADER.replace(',GeneratedTokens', ''), ...BODY.map((r) => r.split(',').slice(0, 2).join(','))].join('\n'), /line 1: the header lacks GeneratedTokens/],
    ['a renamed column', [HEADER.replace('ContextTokens', 'PromptTokens'), ...BODY].join('\n'), /line 1: the header lacks ContextTokens/],
    ['binary garbage', '\u0000\u0001\u0002\uFFFD\n\u00ff,\u0000,\u0001', /line 1: the header lacks/],
    ['one endless line', `${HEADER}\n${'9'.repeat(3 * 1024 * 1024)}`, /line 2: longer than/],
    ['columns in another order, CRLF and a BOM (valid)', `\uFEFFGeneratedTokens,TIMESTAMP,ContextTokens\r\n${BODY.map((r) => { const [t, c, g] = r.split(','); return `${g},${t},${c}`; }).join('\r\n')}`, null],
    ['seconds instead of datetimes (valid)', [HEADER, ...BODY.map((r, i) => `${i * 0.25},${r.split(',').slice(1).join(',')}`)].join('\n'), null],
    ['a prompt far above the model context (valid: refused per request)', [HEADER, ...BODY.map((r, i) => (i === 3 ? r.replace(/,\d+,/, ',99999999999,') : r))].join('\n'), null],
  ])('%s', (_label, text, expected) => {
    const outcome = replay(text);
    if (expected === null) expect(outcome).toEqual({ ok: true });
    else expect(outcome.ok ? '' : outcome.message).toMatch(expected);
  });
});
