import type { FieldPath } from './manifest-reader.js';

/**
 * Finds the vLLM server command line in a container's command and args: `vllm serve MODEL --flags`,
 * `python3 -m vllm.entrypoints.openai.api_server --model MODEL ...`, either inside a `sh -c "..."` script, or
 * bare args given to the vllm-openai image's entrypoint. Flags are read in both `--flag value` and
 * `--flag=value` forms, with `_` spelled `-` as vLLM's argument parser accepts.
 */

export interface VllmFlag {
  /** Normalised: `--max-num-seqs`, `-tp`. */
  readonly name: string;
  readonly value: string | undefined;
  /** The command or args entry the flag was written in. */
  readonly field: FieldPath;
}

export interface VllmCommandLine {
  /** The positional model of `vllm serve MODEL` (a `--model` flag is in `flags`). */
  readonly model: { readonly value: string; readonly field: FieldPath } | undefined;
  readonly flags: readonly VllmFlag[];
}

interface Token {
  readonly text: string;
  readonly field: FieldPath;
}

/** Flags that take no value, so the token after them is not theirs. */
const SWITCHES = new Set([
  '--enable-prefix-caching',
  '--no-enable-prefix-caching',
  '--enable-chunked-prefill',
  '--no-enable-chunked-prefill',
  '--trust-remote-code',
  '--enforce-eager',
  '--disable-log-requests',
  '--disable-log-stats',
  '--enable-auto-tool-choice',
  '--disable-custom-all-reduce',
]);
const SHELLS = /(^|\/)(ba|da|z)?sh$/;
const SHELL_OPERATORS = new Set(['&&', '||', ';', '|', '&']);

/**
 * The vLLM command line of a container, or undefined when none is found. `vllmImage`: the image's own
 * entrypoint is vLLM's server, so bare args are its arguments.
 */
export function findVllmCommandLine(
  command: readonly string[] | undefined,
  args: readonly string[] | undefined,
  container: FieldPath,
  vllmImage: boolean,
): VllmCommandLine | undefined {
  const tokens = expandShellScripts([
    ...(command ?? []).map((text, i) => ({ text, field: [...container, 'command', i] })),
    ...(args ?? []).map((text, i) => ({ text, field: [...container, 'args', i] })),
  ]);
  const start = invocationEnd(tokens);
  if (start !== undefined) return parseArguments(tokens.slice(start.index), start.positionalModel);
  if (command === undefined && vllmImage) return parseArguments(tokens, true);
  return undefined;
}

/** Splits the script that follows a shell's `-c` into words. */
function expandShellScripts(tokens: readonly Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const isScript = i >= 2 && SHELLS.test(tokens[i - 2].text) && /^-[a-z]*c$/.test(tokens[i - 1].text);
    if (!isScript) {
      out.push(tokens[i]);
      continue;
    }
    for (const word of shellWords(tokens[i].text)) out.push({ text: word, field: tokens[i].field });
  }
  return out;
}

/** POSIX-shell word splitting with quotes and backslashes; enough for a server command line. */
export function shellWords(script: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < script.length; i++) {
    const c = script[i];
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < script.length) word += script[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && script[i + 1] === '\n') {
      i++;
    } else if (c === '\\' && i + 1 < script.length) {
      word += script[++i];
      inWord = true;
    } else if (/\s/.test(c) || c === ';') {
      if (inWord) words.push(word);
      if (c === ';' || c === '\n') words.push(';');
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Where the server's own arguments start, and whether a positional model may come first. */
function invocationEnd(tokens: readonly Token[]): { index: number; positionalModel: boolean } | undefined {
  for (let i = 0; i < tokens.length; i++) {
    const text = tokens[i].text;
    if (/(^|\/)vllm$/.test(text) && tokens[i + 1]?.text === 'serve') return { index: i + 2, positionalModel: true };
    if (text === 'vllm.entrypoints.openai.api_server' || /vllm\/entrypoints\/openai\/api_server\.py$/.test(text)) {
      return { index: i + 1, positionalModel: false };
    }
  }
  return undefined;
}

function parseArguments(tokens: readonly Token[], positionalModel: boolean): VllmCommandLine {
  let model: VllmCommandLine['model'];
  const flags: VllmFlag[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const { text, field } = tokens[i];
    if (SHELL_OPERATORS.has(text)) break;
    if (!text.startsWith('-')) {
      // Only `vllm serve MODEL` takes a positional argument, and before its flags.
      if (positionalModel && flags.length === 0 && model === undefined) model = { value: text, field };
      continue;
    }
    const eq = text.indexOf('=');
    const name = normaliseFlag(eq < 0 ? text : text.slice(0, eq));
    let value = eq < 0 ? undefined : text.slice(eq + 1);
    const next = tokens[i + 1];
    if (value === undefined && !SWITCHES.has(name) && next !== undefined && isValue(next.text)) {
      value = next.text;
      i++;
    }
    flags.push({ name, value, field });
  }
  return { model, flags };
}

function normaliseFlag(name: string): string {
  return name.startsWith('--') ? `--${name.slice(2).replaceAll('_', '-')}` : name;
}

function isValue(text: string): boolean {
  return !SHELL_OPERATORS.has(text) && (!text.startsWith('-') || /^-\d/.test(text));
}
