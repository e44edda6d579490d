import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { InputError, InternalError } from '../sim/errors.js';

/** Written last, so a folder holding it is complete; see writeOutputFolder. */
export const SUMMARY_FILE = 'summary.json';

let tempFiles = 0;

/**
 * Writes `data` to `path` so that readers see either the old file or the whole new one: the data goes to a
 * temporary file in the same folder (rename is atomic only within one file system), is flushed, then renamed.
 */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  const folder = dirname(path);
  ensureFolder(folder);
  const temp = join(folder, `.${basename(path)}.${process.pid}.${tempFiles++}.tmp`);
  try {
    const fd = openSync(temp, 'w');
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Writes each file (name relative to `dir`, subfolders allowed) atomically, creating folders as needed and
 * leaving other files in `dir` alone. summary.json goes last, and a previous one is removed first, so a
 * folder with a summary.json always holds a complete set of outputs.
 */
export function writeOutputFolder(dir: string, files: Readonly<Record<string, string | Buffer>>): void {
  const names = Object.keys(files);
  for (const name of names) assertInside(name);
  ensureFolder(dir);
  const hasSummary = names.includes(SUMMARY_FILE);
  if (hasSummary) rmSync(join(dir, SUMMARY_FILE), { force: true });
  for (const name of names) {
    if (name !== SUMMARY_FILE) writeFileAtomic(join(dir, name), files[name]);
  }
  if (hasSummary) writeFileAtomic(join(dir, SUMMARY_FILE), files[SUMMARY_FILE]);
}

function assertInside(name: string): void {
  const normal = normalize(name);
  if (name === '' || isAbsolute(name) || normal === '..' || normal.startsWith(`..${sep}`) || name.includes('\0')) {
    throw new InternalError(`output file name '${name}' must be a relative path inside the output folder`);
  }
}

/**
 * Creates `dir` and its missing parents one level at a time (Node's recursive mkdir spins forever under /proc),
 * refusing with the reason a path that is a file, lies under a file or cannot be created.
 */
export function ensureFolder(dir: string): void {
  const full = resolve(dir);
  const missing: string[] = [];
  let cur = full;
  for (;;) {
    const kind = kindOf(cur);
    if (kind === 'folder') break;
    if (kind === 'other') {
      throw new InputError(`${cur} exists and is not a folder; give a folder for the outputs (${full})`, dir);
    }
    missing.push(cur);
    const parent = dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && kindOf(folder) === 'folder') continue;
      throw new InputError(`cannot create the output folder ${folder}: ${code ?? (error as Error).message}`, dir);
    }
  }
}

function kindOf(path: string): 'folder' | 'other' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'folder' : 'other';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    // ENOTDIR: a parent is a file; the walk up reaches it and says so.
    if (code === 'ENOTDIR') return 'missing';
    throw new InputError(`cannot use ${path} for the outputs: ${code ?? (error as Error).message}`, path);
  }
}
