import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { InternalError } from '../sim/errors.js';

/** Written last, so a folder holding it is complete; see writeOutputFolder. */
export const SUMMARY_FILE = 'summary.json';

let tempFiles = 0;

/**
 * Writes `data` to `path` so that readers see either the old file or the whole new one: the data goes to a
 * temporary file in the same folder (rename is atomic only within one file system), is flushed, then renamed.
 */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  const folder = dirname(path);
  mkdirSync(folder, { recursive: true });
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
  mkdirSync(dir, { recursive: true });
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
