/**
 * Hostile scenario files (issue 8 §5): the loader, and a short run of whatever it accepts, must end in success
 * or an InputError whose message names the field — never another exception (a crash, a stack trace at the CLI).
 * Mutations start from the library scenarios: deleted keys, wrong types, huge and negative numbers, negative
 * durations, unicode, deep nesting, unknown and prototype-polluting keys; plus random text and YAML bombs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { InputError } from '../../sim/errors.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenarioText } from '../../sim/scenario/load.js';
import { apply, formatPath, mutation, paths, type Mutation } from './mutate.js';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SCENARIOS = join(REPO, 'scenarios');
const LIBRARY = readdirSync(SCENARIOS)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => ({ name: f, text: readFileSync(join(SCENARIOS, f), 'utf8') }));
/** Deeper fuzzing: FUZZ_SEED=… FUZZ_RUNS=2000 npx vitest run test/hostile (defaults keep CI fast and fixed). */
const SEED = Number(process.env.FUZZ_SEED ?? 8);
const RUNS = Number(process.env.FUZZ_RUNS ?? 50);
/** Accepted mutants run for 20 simulated seconds, a rollout at 10 s: enough to reach run-time validation. */
const SHORT_RUN = ['spec.duration=20s', 'spec.rollout.at=10s'];

type Outcome = { ok: true } | { ok: false; error: unknown };

function loadAndRun(text: string, overrides: readonly string[] = SHORT_RUN): Outcome {
  try {
    const loaded = loadScenarioText(text, { baseDir: SCENARIOS, overrides });
    runScenario(loaded);
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

/** An InputError, or a description of what was thrown instead. */
function inputErrorMessage(outcome: Outcome): string | null {
  if (outcome.ok) return null;
  const e = outcome.error;
  if (e instanceof InputError) return e.message;
  throw new Error(`not an InputError: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
}

/** The message names the mutated field or one of its ancestors below spec (or the YAML itself). */
function namesTheField(message: string, m: Mutation): boolean {
  if (/YAML/.test(message)) return true;
  const p = m.path;
  const shortest = p[0] === 'spec' && p.length > 1 ? 2 : 1;
  for (let n = p.length; n >= shortest; n--) {
    if (message.includes(formatPath(p.slice(0, n)))) return true;
  }
  return false;
}

describe('scenario loader fuzz: mutated library scenarios', () => {
  for (const { name, text } of LIBRARY) {
    it(`${name}: every mutant loads and runs, or fails with an InputError naming the field`, () => {
      const doc = parse(text) as unknown;
      const docPaths = paths(doc).filter((p) => p[0] !== 'spec' || p.length > 1 || p[1] !== undefined);
      let refused = 0;
      fc.assert(
        fc.property(mutation(docPaths), (m) => {
          const mutant = JSON.stringify(apply(doc, m)); // JSON is YAML, and deep nesting does not overflow the writer
          const message = inputErrorMessage(loadAndRun(mutant));
          if (message === null) return;
          refused++;
          if (!namesTheField(message, m)) throw new Error(`the message does not name ${formatPath(m.path)}:\n${message}`);
          expect(message).not.toMatch(/\n\s+at /);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
      expect(refused).toBeGreaterThan(RUNS / 3);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it('two mutations at once still end in success or an InputError', () => {
    const doc = parse(LIBRARY[0].text) as unknown;
    const docPaths = paths(doc);
    fc.assert(
      fc.property(mutation(docPaths), mutation(docPaths), (a, b) => {
        inputErrorMessage(loadAndRun(JSON.stringify(apply(apply(doc, a), b))));
      }),
      { seed: SEED + 1, numRuns: RUNS, endOnFailure: true },
    );
  });
});

describe('scenario loader fuzz: random and malformed text', () => {
  it('random text (unicode included) is an InputError or a scenario, never a crash', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.string()), (text) => {
        inputErrorMessage(loadAndRun(text, []));
      }),
      { seed: SEED + 2, numRuns: 2 * RUNS },
    );
  });

  it('library scenarios cut at random points are InputErrors', () => {
    const text = LIBRARY[0].text;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: text.length - 1 }), fc.integer({ min: 0, max: 40 }), (cut, drop) => {
        inputErrorMessage(loadAndRun(text.slice(0, cut) + text.slice(cut + drop)));
      }),
      { seed: SEED + 3, numRuns: RUNS },
    );
  });

  const bad: Array<[string, string, RegExp]> = [
    ['a billion-laughs alias bomb', billionLaughs(), /alias/i],
    ['10,000 nested flow lists', `${'['.repeat(10_000)}${']'.repeat(10_000)}`, /YAML|nest|mapping/i],
    ['2,000 nested block maps', nestedBlockMaps(2_000), /YAML|nest|mapping|spec|top level/i],
    ['a 5 MB file', `metadata: { name: x }\n# ${'x'.repeat(5 * 1024 * 1024)}\n`, /limited to/],
    ['duplicate keys', `${LIBRARY[0].text}\nspec: {}\n`, /YAML/],
    ['a JavaScript tag', 'apiVersion: !!js/function "function(){ return 1 }"\n', /YAML|apiVersion/],
    ['a merge key pulling a bomb', `base: &b { x: 1 }\n${'k: { <<: *b }\n'.repeat(1)}`, /apiVersion|spec|top level/],
    ['__proto__ keys', LIBRARY[0].text.replace('spec:', '__proto__: { polluted: true }\nspec:'), /__proto__/],
    ['a NUL and RTL override in the name', LIBRARY[0].text.replace('name: llama-70b-rolling', 'name: "a\\0b\\u202ec"'), /^$/],
  ];
  it.each(bad)('%s', (_label, text, expected) => {
    const message = inputErrorMessage(loadAndRun(text));
    if (expected.source === '^$') expect(message).toBeNull();
    else expect(message).toMatch(expected);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

function billionLaughs(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++) {
    const prev = String.fromCharCode(96 + i);
    const cur = String.fromCharCode(97 + i);
    lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  return lines.join('\n');
}

function nestedBlockMaps(depth: number): string {
  const lines: string[] = [];
  for (let i = 0; i < depth; i++) lines.push(`${' '.repeat(i)}k${i}:`);
  lines.push(`${' '.repeat(depth)}v`);
  return lines.join('\n');
}
