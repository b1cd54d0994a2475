import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/** A table's name for SQL, each part quoted (`schema.table` on PostgreSQL). */
function tableName(manager: EntityManager, path: string): string {
  return path
    .split('.')
    .map((part) => manager.connection.driver.escape(part))
    .join('.');
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
    const parameters: unknown[] = [];
    const tuples = rows.slice(start, start + ROWS_PER_STATEMENT).map((row) => {
      const placeholders = columns.map((column) => {
        parameters.push(driver.preparePersistentValue(row[column.propertyName], column));
        return driver.createParameter(`p${parameters.length - 1}`, parameters.length - 1);
      });
      return `(${placeholders.join(', ')})`;
    });
    await manager.query(
      `INSERT INTO ${tableName(manager, metadata.tablePath)} (${names.join(', ')}) VALUES ${tuples.join(', ')}${upsert}`,
      parameters,
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
  const placeholders = values.map((_, index) => driver.createParameter(`p${index}`, index));
  const raw: Record<string, unknown>[] = await manager.query(
    `SELECT ${columns.map((column) => driver.escape(column.databaseName)).join(', ')} ` +
      `FROM ${tableName(manager, metadata.tablePath)} WHERE ${driver.escape(where.databaseName)} IN (${placeholders.join(', ')})`,
    values.map((value) => driver.preparePersistentValue(value, where)),
  );
  return raw.map((row) => {
    const result: Record<string, unknown> = {};
    for (const column of columns)
      result[column.propertyName] = driver.prepareHydratedValue(row[column.databaseName], column);
    return result as Pick<T, K>;
  });
}
