import { stringify } from 'csv-stringify/sync';

/**
 * The column list of a record type, in the order given. Spelled as an object so the compiler rejects a
 * missing or unknown column.
 */
export function columnsOf<T>(columns: Record<keyof T & string, true>): (keyof T & string)[] {
  return Object.keys(columns) as (keyof T & string)[];
}

/** CSV with a header row; null and undefined become empty cells, numbers keep full precision. */
export function toCsv<T extends object>(rows: readonly T[], columns: readonly (keyof T & string)[]): string {
  return stringify(rows as T[], { header: true, columns: [...columns] });
}

/** The CSV lines of `rows` without the header: toCsv(rows) is toCsv([]) followed by this. */
export function toCsvRows<T extends object>(rows: readonly T[], columns: readonly (keyof T & string)[]): string {
  return stringify(rows as T[], { header: false, columns: [...columns] });
}
