import { InputError } from '../../errors.js';
import { INPUT_LIMITS, readInputFile } from '../../config/input-file.js';

/** A small comma-separated table: a header line, then rows of plain (unquoted) cells. */
export interface CsvTable {
  readonly source: string;
  readonly header: readonly string[];
  /** Cells of each data row, and its 1-based line number in the file (for error messages). */
  readonly rows: readonly { readonly line: number; readonly cells: readonly string[] }[];
}

export function readCsvFile(file: string): CsvTable {
  const text = readInputFile(file, { what: 'CSV file', maxBytes: INPUT_LIMITS.data });
  return parseCsv(text, file);
}

/** Blank lines and lines starting with # are skipped. */
export function parseCsv(text: string, source: string): CsvTable {
  const lines = text.split(/\r?\n/);
  let header: string[] | undefined;
  const rows: { line: number; cells: string[] }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const trimmed = lines[i].trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const cells = trimmed.split(',').map((c) => c.trim());
    if (header === undefined) {
      header = cells;
      continue;
    }
    if (cells.length !== header.length) {
      throw new InputError(`line ${i + 1} has ${cells.length} cells, the header has ${header.length} (${header.join(',')})`, source);
    }
    rows.push({ line: i + 1, cells });
  }
  if (header === undefined) throw new InputError('the file is empty; expected a header line and data rows', source);
  return { source, header, rows };
}

/** Index of a column the table must have. */
export function columnIndex(table: CsvTable, column: string): number {
  const i = table.header.indexOf(column);
  if (i < 0) throw new InputError(`missing column "${column}" (header: ${table.header.join(',')})`, table.source);
  return i;
}

/** The cell as a finite number; an empty cell is undefined. */
export function numberCell(table: CsvTable, row: CsvTable['rows'][number], column: number): number | undefined {
  const text = row.cells[column];
  if (text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) {
    throw new InputError(`line ${row.line}, column "${table.header[column]}": ${JSON.stringify(text)} is not a number`, table.source);
  }
  return value;
}

/** The cell as a finite number; empty is an error naming the line and column. */
export function requiredNumberCell(table: CsvTable, row: CsvTable['rows'][number], column: number): number {
  const value = numberCell(table, row, column);
  if (value === undefined) throw new InputError(`line ${row.line}, column "${table.header[column]}": empty; expected a number`, table.source);
  return value;
}
