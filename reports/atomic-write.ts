import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { InternalError } from '../sim/errors.js';

/** Written last, so a folder holding it is complete; see writeOutputFolder. */
export const SUMMARY_FILE = 'summary.json';

let tempFiles = 0;

/** A file written ahead, to be made visible with the others of an output folder (writeOutputFolder). */
export interface Committable {
  commit(): void;
}

/**
 * A file written in parts that readers see either as before or whole: the parts go to a temporary file in the
 * same folder (rename is atomic only within one file system), flushed and renamed by `commit`. `abort` removes
 * the temporary file (a no-op once committed), so call it on every path that does not commit.
 */
export class AtomicFile implements Committable {
  private readonly temp: string;
  private fd: number | null;
  /** Committed or aborted: nothing more to do. */
  private settled = false;

  constructor(readonly path: string) {
    const folder = dirname(path);
    mkdirSync(folder, { recursive: true });
    this.temp = join(folder, `.${basename(path)}.${process.pid}.${tempFiles++}.tmp`);
    this.fd = openSync(this.temp, 'w');
  }

  write(data: string | Buffer): void {
    writeFileSync(this.openFd('write'), data);
  }

  commit(): void {
    const fd = this.openFd('commit');
    this.fd = null;
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(this.temp, this.path);
    this.settled = true;
  }

  abort(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.temp, { force: true });
  }

  private openFd(method: string): number {
    if (this.fd === null) throw new InternalError(`AtomicFile.${method}: ${this.path} was already committed or aborted`);
    return this.fd;
  }
}

/** Writes `data` to `path` so that readers see either the old file or the whole new one (AtomicFile). */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  const file = new AtomicFile(path);
  try {
    file.write(data);
    file.commit();
  } catch (error) {
    file.abort();
    throw error;
  }
}

/**
 * Writes each file (name relative to `dir`, subfolders allowed) atomically, creating folders as needed and
 * leaving other files in `dir` alone, and commits the files `written` beforehand (e.g. streamed during a run).
 * summary.json goes last, and a previous one is removed first, so a folder with a summary.json always holds a
 * complete set of outputs.
 */
export function writeOutputFolder(
  dir: string,
  files: Readonly<Record<string, string | Buffer>>,
  written: readonly Committable[] = [],
): void {
  const names = Object.keys(files);
  for (const name of names) assertInside(name);
  mkdirSync(dir, { recursive: true });
  const hasSummary = names.includes(SUMMARY_FILE);
  if (hasSummary) rmSync(join(dir, SUMMARY_FILE), { force: true });
  for (const file of written) file.commit();
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
