import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';

/** The standalone panel's database, in its data directory. */
export const DATABASE_FILE = 'mta-sts.sqlite';

/** How long a write waits for a lock another program holds (a backup, an sqlite3 shell). */
export const DATABASE_BUSY_TIMEOUT_MS = 5_000;

/**
 * The SQLite database holds sessions-relevant data and the audit trail: it is created
 * 0600, like the keys, before SQLite opens it. SQLite gives its `-wal` and `-shm` files
 * the database file's mode; those left by an earlier version are tightened too.
 */
export function prepareDatabaseFile(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(path)) chmodSync(path, 0o600);
  }
}
