import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { InputError, InternalError } from '../sim/errors.js';

/** The run's summary; readers take a folder holding it as a finished run. */
export const SUMMARY_FILE = 'summary.json';

let tempFiles = 0;
let folders = 0;

/** A file written ahead (e.g. streamed during a run), moved into its output folder when the folder is written. */
export interface StagedFile {
  /** Its name inside the output folder. */
  readonly name: string;
  /** Flushes the file and renames it to `path` (on the same file system). */
  commitAs(path: string): void;
}

/**
 * A file written in parts that readers see either as before or whole: the parts go to a temporary file (by
 * default beside `path`, as rename is atomic only within one file system), flushed and renamed by `commit`.
 * `abort` removes the temporary file (a no-op once committed), so call it on every path that does not commit.
 */
export class AtomicFile {
  private readonly temp: string;
  private fd: number | null;
  /** Committed or aborted: nothing more to do. */
  private settled = false;

  constructor(
    readonly path: string,
    temp = join(dirname(path), `.${basename(path)}.${process.pid}.${tempFiles++}.tmp`),
  ) {
    ensureFolder(dirname(temp));
    this.temp = temp;
    try {
      this.fd = openSync(this.temp, 'w');
    } catch (error) {
      throw new InputError(`cannot write the output file ${temp}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, path);
    }
  }

  write(data: string | Buffer): void {
    writeFileSync(this.openFd('write'), data);
  }

  commit(): void {
    this.commitAs(this.path);
  }

  commitAs(path: string): void {
    const fd = this.openFd('commit');
    this.fd = null;
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(this.temp, path);
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
 * Where a file streamed into output folder `dir` waits until the folder is written: beside the folder, hidden,
 * named so that a later write removes it if its writer died.
 */
export function stagingPath(dir: string): string {
  const target = resolve(dir);
  return join(dirname(target), `.${basename(target)}.stream-${process.pid}-${folders++}`);
}

/** Marks a folder as written by rollout-sim, so a later run may replace it whole. */
export const OUTPUT_MARKER = '.rollout-sim-output';


/**
 * Writes a whole output folder so that `dir` always holds one complete run: the files go to a new hidden folder
 * beside it, are flushed, and the new folder is swapped in by rename (an older folder is renamed aside first and
 * removed after). Files of an earlier run that this one does not write (a stale requests.csv) go with the old
 * folder. A lock beside the folder keeps two writers out; a folder holding files rollout-sim did not write is
 * refused rather than replaced, so nothing a user keeps there is lost.
 */
export function writeOutputFolder(
  dir: string,
  files: Readonly<Record<string, string | Buffer>>,
  staged: readonly StagedFile[] = [],
): void {
  const names = [...Object.keys(files), ...staged.map((file) => file.name)];
  for (const name of names) assertInside(name);
  const target = resolve(dir);
  ensureFolder(dirname(target));
  const release = lockFolder(target, dir);
  removeLeftovers(target);
  const tag = `${process.pid}-${folders++}`;
  const fresh = join(dirname(target), `.${basename(target)}.new-${tag}`);
  const old = join(dirname(target), `.${basename(target)}.old-${tag}`);
  try {
    checkReplaceable(target, dir, names);
    mkdirSync(fresh);
    for (const [name, data] of Object.entries(files)) writeFileAtomic(join(fresh, name), data);
    for (const file of staged) file.commitAs(join(fresh, file.name));
    writeFileAtomic(join(fresh, OUTPUT_MARKER), 'written by rollout-sim; the whole folder is replaced by the next run\n');
    const hadOld = kindOf(target) === 'folder';
    if (hadOld) renameSync(target, old);
    renameSync(fresh, target);
    if (hadOld) rmSync(old, { recursive: true, force: true });
  } catch (error) {
    rmSync(fresh, { recursive: true, force: true });
    throw error;
  } finally {
    release();
  }
}

/**
 * Adds files to a folder other writers share (the shards of a sweep on one volume), each file atomically,
 * leaving the folder's other files alone.
 */
export function writeIntoSharedFolder(dir: string, files: Readonly<Record<string, string | Buffer>>): void {
  for (const name of Object.keys(files)) assertInside(name);
  ensureFolder(dir);
  for (const [name, data] of Object.entries(files)) writeFileAtomic(join(dir, name), data);
}

/** An existing folder may be replaced when it is empty, was written by rollout-sim, or holds only what this run writes. */
function checkReplaceable(target: string, dir: string, names: readonly string[]): void {
  const kind = kindOf(target);
  if (kind === 'missing') return;
  if (kind === 'other') throw new InputError(`${target} exists and is not a folder; give a folder for the outputs`, dir);
  const entries = readdirSync(target);
  if (entries.includes(OUTPUT_MARKER)) return;
  const ours = new Set(names.map((name) => name.split(/[\\/]/)[0]));
  const foreign = entries.filter((entry) => !ours.has(entry));
  if (foreign.length > 0) {
    throw new InputError(
      `${target} holds files rollout-sim did not write (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', ...' : ''}); ` +
        'give a new or empty folder, or remove them: the outputs replace the whole folder',
      dir,
    );
  }
}

/** Hidden folders beside `target` left by a writer that was killed mid-swap. */
function removeLeftovers(target: string): void {
  const prefix = `.${basename(target)}.`;
  for (const entry of readdirSync(dirname(target))) {
    const match = /^(?:new|old|stream)-(\d+)-\d+$/.exec(entry.startsWith(prefix) ? entry.slice(prefix.length) : '');
    if (match && !isAlive(Number(match[1]))) rmSync(join(dirname(target), entry), { recursive: true, force: true });
  }
}

/** Takes `<dir>.lock` (exclusive create); a lock left by a process that is gone is taken over. */
function lockFolder(target: string, dir: string): () => void {
  const lock = `${target}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new InputError(`cannot lock the output folder (${lock}): ${(error as NodeJS.ErrnoException).code}`, dir);
      }
      const holder = Number.parseInt(readFileSafely(lock), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw new InputError(`another rollout-sim (pid ${holder}) is writing ${target}; wait for it, or give another folder`, dir);
      }
      rmSync(lock, { force: true });
    }
  }
  throw new InputError(`cannot lock the output folder (${lock}): another writer keeps taking it`, dir);
}

function readFileSafely(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
