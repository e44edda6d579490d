import type { z } from 'zod';

/** A dotted path as users write it in --set and read it in errors: spec.cluster.nodePools[0].nodes */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(top level)' : out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key as string];
  }
  return cur;
}

function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * One line per problem: the path, the bad value, and what is expected. Zod's own wording ("Invalid input:
 * expected number, received string") is kept where it already says what is expected.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], raw: unknown): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length ? path : 'the top level';
      lines.push(`${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; \`rollout-sim schema\` lists every field)`);
      continue;
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Branch issues carry paths relative to the union.
      const branches = issue.errors.map((errors) => errors.map((e) => ({ ...e, path: [...issue.path, ...e.path] })));
      const meant = branchTheUserMeant(branches as z.core.$ZodIssue[][], issue.path.length);
      if (meant) {
        lines.push(...formatIssues(meant, raw));
        continue;
      }
    }
    const value = valueAt(raw, issue.path);
    const message = issue.message.replace(/^Invalid input: /, '');
    if (value === undefined && issue.code === 'invalid_type') {
      lines.push(`${path}: required but missing (${message.replace(/, received undefined$/, '')})`);
    } else {
      lines.push(`${path}: ${message} (got ${showValue(value)})`);
    }
  }
  return [...new Set(lines)];
}

/**
 * For `{ kind: params }` unions (strategies, distributions, arrival processes) the branch the user meant is the
 * one whose key they wrote: it is the only branch without an unknown-key complaint at the union's own level.
 * Its errors are the precise ones; other branches would only say "missing key".
 */
function branchTheUserMeant(
  branches: readonly (readonly z.core.$ZodIssue[])[],
  depth: number,
): readonly z.core.$ZodIssue[] | null {
  const candidates = branches.filter(
    (errors) => errors.length > 0 && !errors.some((e) => e.code === 'unrecognized_keys' && e.path.length === depth),
  );
  if (candidates.length === 1) return candidates[0];
  // Unions of plain values (a duration or a distribution): the deepest error is the informative one.
  const deeper = branches.filter((errors) => errors.some((e) => e.path.length > depth));
  return deeper.length === 1 ? deeper[0] : null;
}
