import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/** A table's name for SQL, each part quoted (`schema.table` on PostgreSQL). */
function tableName(manager: EntityManager, path: string): string {
  return path
    .split('.')
    .map((part) => manager.connection.driver.escape(part))
    .join('.');
}

/**
 * The parameters of one statement: each value converted by the driver for its column,
 * each placeholder in the driver's own form (`?` on SQLite, `$1` on PostgreSQL).
 */
function parameters(manager: EntityManager): {
  readonly values: unknown[];
  add(value: unknown, column: ColumnMetadata): string;
} {
  const driver = manager.connection.driver;
  const values: unknown[] = [];
  return {
    values,
    add(value, column) {
      values.push(driver.preparePersistentValue(value, column));
      return driver.createParameter(`p${values.length - 1}`, values.length - 1);
    },
  };
}

/** Where `YYYY-MM-DD HH:MM:SS.SSS` has its separators, and which. */
const DATE_SEPARATORS: ReadonlyArray<readonly [number, string]> = [
  [4, '-'],
  [7, '-'],
  [10, ' '],
  [13, ':'],
  [16, ':'],
  [19, '.'],
];

/**
 * A date as TypeORM writes it into SQLite (`YYYY-MM-DD HH:MM:SS.SSS`, UTC), read without
 * the driver's two regular expressions, string copies and general parse; undefined for any
 * other text, which the driver then reads as usual.
 */
export function sqliteUtcDate(text: string): Date | undefined {
  if (text.length !== 23) return undefined;
  for (const [at, separator] of DATE_SEPARATORS) {
    if (text[at] !== separator) return undefined;
  }
  const digits = (from: number, to: number): number => {
    let value = 0;
    for (let at = from; at < to; at++) {
      const digit = text.charCodeAt(at) - 48;
      if (digit < 0 || digit > 9) return Number.NaN;
      value = value * 10 + digit;
    }
    return value;
  };
  const year = digits(0, 4);
  const month = digits(5, 7);
  const day = digits(8, 10);
  const hour = digits(11, 13);
  const minute = digits(14, 16);
  const second = digits(17, 19);
  const ms = digits(20, 23);
  // Out of range (or not digits): left to the driver, whatever it makes of it.
  if (!(year >= 1000 && month >= 1 && month <= 12 && day >= 1 && day <= 31)) return undefined;
  if (!(hour <= 23 && minute <= 59 && second <= 59 && ms >= 0)) return undefined;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
}

/**
 * How each column of a row is converted when it is read: by the driver, except SQLite's
 * dates in the form TypeORM writes them (a sweep reads a dozen dates per domain).
 */
function hydrator(
  manager: EntityManager,
  columns: readonly ColumnMetadata[],
): <R extends object>(row: Record<string, unknown>, into: R) => R {
  const driver = manager.connection.driver;
  const sqlite = driver.options.type === 'sqlite';
  const converters = columns.map((column) => {
    const byDriver = (value: unknown) => driver.prepareHydratedValue(value, column);
    const isDate = (column.type === Date || column.type === 'datetime') && !column.transformer;
    if (!sqlite || !isDate) return byDriver;
    return (value: unknown) => (typeof value === 'string' && sqliteUtcDate(value)) || byDriver(value);
  });
  return (row, into) => {
    for (let index = 0; index < columns.length; index++) {
      const column = columns[index];
      (into as Record<string, unknown>)[column.propertyName] = converters[index](row[column.databaseName]);
    }
    return into;
  };
}

/** Rows per statement: well under SQLite's limit of 32,766 parameters for any of our tables. */
const ROWS_PER_STATEMENT = 500;

/**
 * Many rows written in one statement per 500, for the writes a sweep makes for every
 * domain. Built here rather than by `Repository.insert`/`upsert`, whose query builder
 * names, stores and escapes each of thousands of parameters one at a time (a sweep spent
 * more CPU on that than on the statements themselves). The SQL is the same on SQLite and
 * PostgreSQL; values go through the driver's own conversion for their column.
 *
 * With `conflict`, a row whose key columns match an existing row replaces its other
 * columns (`INSERT … ON CONFLICT (key) DO UPDATE`).
 */
export async function writeRows<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  properties: readonly (keyof T & string)[],
  rows: readonly Partial<T>[],
  conflict?: readonly (keyof T & string)[],
): Promise<void> {
  if (rows.length === 0) return;
  const metadata = manager.connection.getMetadata(target);
  const driver = manager.connection.driver;
  const columns = properties.map((name) => metadata.findColumnWithPropertyName(name)!);
  const names = columns.map((column) => driver.escape(column.databaseName));
  let upsert = '';
  if (conflict) {
    const keys = new Set<string>(conflict);
    const assignments = names
      .filter((_, index) => !keys.has(columns[index].propertyName))
      .map((name) => `${name} = excluded.${name}`);
    const keyNames = conflict.map((name) => driver.escape(metadata.findColumnWithPropertyName(name)!.databaseName));
    upsert = ` ON CONFLICT (${keyNames.join(', ')}) DO UPDATE SET ${assignments.join(', ')}`;
  }
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const bound = parameters(manager);
    const tuples = rows
      .slice(start, start + ROWS_PER_STATEMENT)
      .map((row) => `(${columns.map((column) => bound.add(row[column.propertyName], column)).join(', ')})`);
    await manager.query(
      `INSERT INTO ${tableName(manager, metadata.tablePath)} (${names.join(', ')}) VALUES ${tuples.join(', ')}${upsert}`,
      bound.values,
    );
  }
}

/**
 * Sets one column of many rows, each key its own value: the rows whose `key` is in
 * `values` (and, with `among`, whose `among.property` is one of `among.values`) get the
 * value given for their key, in one `UPDATE … SET column = CASE key WHEN … END` per 500
 * keys. What a sweep writes for a result that has not changed: its observation time.
 */
export async function setColumnByKey<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  property: keyof T & string,
  key: keyof T & string,
  values: ReadonlyMap<unknown, unknown>,
  among?: { readonly property: keyof T & string; readonly values: readonly unknown[] },
): Promise<void> {
  if (values.size === 0 || among?.values.length === 0) return;
  const metadata = manager.connection.getMetadata(target);
  const driver = manager.connection.driver;
  const column = metadata.findColumnWithPropertyName(property)!;
  const keyColumn = metadata.findColumnWithPropertyName(key)!;
  const keyName = driver.escape(keyColumn.databaseName);
  const amongColumn = among && metadata.findColumnWithPropertyName(among.property)!;
  // PostgreSQL gives a CASE of bare parameters the type text; SQLite needs no cast (and
  // would turn a date into a number with one).
  const typed = (placeholder: string) =>
    driver.options.type === 'sqlite' ? placeholder : `CAST(${placeholder} AS ${driver.normalizeType(column)})`;
  const entries = [...values];
  for (let start = 0; start < entries.length; start += ROWS_PER_STATEMENT) {
    const bound = parameters(manager);
    const slice = entries.slice(start, start + ROWS_PER_STATEMENT);
    const cases = slice.map(
      ([id, value]) => `WHEN ${bound.add(id, keyColumn)} THEN ${typed(bound.add(value, column))}`,
    );
    const keys = slice.map(([id]) => bound.add(id, keyColumn));
    let where = `${keyName} IN (${keys.join(', ')})`;
    if (among && amongColumn) {
      const listed = among.values.map((value) => bound.add(value, amongColumn));
      where += ` AND ${driver.escape(amongColumn.databaseName)} IN (${listed.join(', ')})`;
    }
    await manager.query(
      `UPDATE ${tableName(manager, metadata.tablePath)} SET ${driver.escape(column.databaseName)} = ` +
        `CASE ${keyName} ${cases.join(' ')} END WHERE ${where}`,
      bound.values,
    );
  }
}

/**
 * The given columns of the rows whose `property` is one of `values`, as plain objects with
 * each value converted by the driver, without building entities (what a sweep reads back
 * for every domain it checked).
 */
export async function readRows<T extends ObjectLiteral, K extends keyof T & string>(
  manager: EntityManager,
  target: EntityTarget<T>,
  properties: readonly K[],
  property: keyof T & string,
  values: readonly unknown[],
): Promise<Pick<T, K>[]> {
  if (values.length === 0) return [];
  const metadata = manager.connection.getMetadata(target);
  const driver = manager.connection.driver;
  const columns = properties.map((name) => metadata.findColumnWithPropertyName(name)!);
  const where = metadata.findColumnWithPropertyName(property)!;
  const bound = parameters(manager);
  const placeholders = values.map((value) => bound.add(value, where));
  const raw: Record<string, unknown>[] = await manager.query(
    `SELECT ${columns.map((column) => driver.escape(column.databaseName)).join(', ')} ` +
      `FROM ${tableName(manager, metadata.tablePath)} WHERE ${driver.escape(where.databaseName)} IN (${placeholders.join(', ')})`,
    bound.values,
  );
  const hydrate = hydrator(manager, columns);
  return raw.map((row) => hydrate(row, {}) as Pick<T, K>);
}

/**
 * Whole entities, a page at a time in key order: those whose `property` is one of `values`
 * and whose `key` is above `after`. Built from the rows here, each column converted by the
 * driver, rather than by `find`, whose query builder and result transformer cost several
 * times the query itself (a sweep reads every domain this way).
 */
export async function entitiesAfter<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  where: { readonly property: keyof T & string; readonly values: readonly unknown[] },
  key: keyof T & string,
  after: unknown,
  limit: number,
): Promise<T[]> {
  if (where.values.length === 0) return [];
  const metadata = manager.connection.getMetadata(target);
  const driver = manager.connection.driver;
  const filter = metadata.findColumnWithPropertyName(where.property)!;
  const order = metadata.findColumnWithPropertyName(key)!;
  const bound = parameters(manager);
  const listed = where.values.map((value) => bound.add(value, filter));
  const orderName = driver.escape(order.databaseName);
  const raw: Record<string, unknown>[] = await manager.query(
    `SELECT ${metadata.columns.map((column) => driver.escape(column.databaseName)).join(', ')} ` +
      `FROM ${tableName(manager, metadata.tablePath)} ` +
      `WHERE ${driver.escape(filter.databaseName)} IN (${listed.join(', ')}) AND ${orderName} > ${bound.add(after, order)} ` +
      `ORDER BY ${orderName} LIMIT ${Math.floor(limit)}`,
    bound.values,
  );
  const hydrate = hydrator(manager, metadata.columns);
  return raw.map((row) => hydrate(row, metadata.create(undefined, { fromDeserializer: true }) as T));
}
