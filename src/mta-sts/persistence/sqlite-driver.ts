import sqlite3 from 'sqlite3';

/**
 * The `sqlite3` package for TypeORM's `driver` option, without its verbose mode. TypeORM
 * calls `verbose()` on the driver it loads, which wraps every database call to capture a
 * stack trace and `util.inspect` each argument, the SQL and every parameter included: a
 * batch of check results paid for its own description on each write. This is the same
 * module whose `verbose()` changes nothing; errors keep SQLite's own message.
 */
export const quietSqlite3: Record<string, unknown> = { ...sqlite3, verbose: () => quietSqlite3 };
