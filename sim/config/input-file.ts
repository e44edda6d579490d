import { closeSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../errors.js';

const MiB = 1024 * 1024;

/** Size caps of the files a user hands us: large enough for any real input, small enough to refuse /dev/zero. */
export const INPUT_LIMITS = {
  scenario: 4 * MiB,
  manifest: 4 * MiB,
  sweep: 4 * MiB,
  /** Empirical distributions, step-time profiles, model config.json files. */
  data: 64 * MiB,
  /** A sweep shard's results-<i>.jsonl: one line per run. */
  results: 256 * MiB,
} as const;

export interface InputFile {
  /** What the file is, for messages: "scenario file", "manifest". */
  readonly what: string;
  readonly maxBytes: number;
  /** The field or flag that named the file, for the error's path; the file itself when absent. */
  readonly path?: string;
}

/**
 * Reads a user's text file in bounded memory: it must be a regular file (not a device, a FIFO or a folder: those
 * can be endless) and at most `maxBytes` long. The size is checked before reading and again while reading, as
 * files such as /proc entries report a size of 0.
 */
export function readInputFile(file: string, input: InputFile): string {
  const full = resolve(file);
  const path = input.path ?? file;
  let fd: number;
  try {
    // Checked before opening: opening a FIFO waits for a writer.
    checkKind(statSync(full), full, input, path);
    fd = openSync(full, 'r');
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`no such ${input.what} (${full})`, path);
    if (code === 'EISDIR') throw new InputError(`${full} is a folder; expected a ${input.what}`, path);
    throw new InputError(`cannot read the ${input.what} ${full}: ${code ?? (error as Error).message}`, path);
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.allocUnsafe(Math.min(input.maxBytes + 1, MiB));
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      total += read;
      if (total > input.maxBytes) throw tooLarge(full, total, input, path);
      chunks.push(Buffer.from(chunk.subarray(0, read)));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function checkKind(stat: Stats, full: string, input: InputFile, path: string): void {
  if (stat.isDirectory()) throw new InputError(`${full} is a folder; expected a ${input.what}`, path);
  if (!stat.isFile()) throw new InputError(`${full} is not a regular file (a device, pipe or socket); expected a ${input.what}`, path);
  if (stat.size > input.maxBytes) throw tooLarge(full, stat.size, input, path);
}

function tooLarge(full: string, bytes: number, input: InputFile, path: string): InputError {
  return new InputError(`${full} holds ${bytes} bytes or more; a ${input.what} is limited to ${formatBytes(input.maxBytes)}`, path);
}

function formatBytes(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes} bytes`;
}
