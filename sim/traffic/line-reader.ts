import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { InputError } from '../errors.js';

const CHUNK_BYTES = 1 << 16;
/** A trace row is a few dozen characters; a file with no line breaks must not be buffered whole. */
export const MAX_LINE_CHARS = 1 << 20;

/**
 * Reads a text file line by line, synchronously, a chunk at a time: a week-long trace (~1 GB) replays in flat
 * memory. The file is opened per chunk, so an abandoned reader holds no file descriptor.
 */
export class LineReader {
  /** 1-based number of the line last returned (what an error message should quote). */
  lineNumber = 0;
  private position = 0;
  private readonly chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private decoder = new StringDecoder('utf8');
  private lines: string[] = [];
  private nextIndex = 0;
  private partial = '';
  private atEnd = false;

  constructor(readonly file: string) {}

  /** The next line without its line break, or null at the end of the file. */
  readLine(): string | null {
    while (this.nextIndex >= this.lines.length) {
      if (this.atEnd) return null;
      this.fill();
    }
    this.lineNumber++;
    const line = this.lines[this.nextIndex++];
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    return this.lineNumber === 1 && text.startsWith('\uFEFF') ? text.slice(1) : text;
  }

  rewind(): void {
    this.lineNumber = 0;
    this.position = 0;
    this.decoder = new StringDecoder('utf8');
    this.lines = [];
    this.nextIndex = 0;
    this.partial = '';
    this.atEnd = false;
  }

  private fill(): void {
    const bytes = this.readChunk();
    this.position += bytes;
    let text: string;
    if (bytes === 0) {
      this.atEnd = true;
      text = this.partial + this.decoder.end();
      this.partial = '';
      this.lines = text === '' ? [] : [text];
    } else {
      text = this.partial + this.decoder.write(this.chunk.subarray(0, bytes));
      this.lines = text.split('\n');
      this.partial = this.lines.pop() ?? '';
      if (this.partial.length > MAX_LINE_CHARS) {
        const line = this.lineNumber + this.lines.length + 1;
        throw new InputError({ problem: `longer than ${MAX_LINE_CHARS} characters`, expected: 'one short row per line' }, `${this.file} line ${line}`);
      }
    }
    this.nextIndex = 0;
  }

  private readChunk(): number {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InputError(code === 'ENOENT' ? `no such file (${this.file})` : `cannot read ${this.file}: ${code}`);
    }
    try {
      return readSync(fd, this.chunk, 0, CHUNK_BYTES, this.position);
    } finally {
      closeSync(fd);
    }
  }
}
