import { StorageFailedError } from './errors';

/** What is known about where the data lives, to name it in a message. */
export interface StorageLocations {
  /** The database file, when the database is SQLite. */
  readonly databaseFile?: string;
  /** How long a write waits for a database lock before giving up. */
  readonly busyTimeoutMs?: number;
}

const KEEPS_SERVING = 'Nothing was changed, and what was serving keeps serving.';

/** The error code of a file system or SQLite error, also when TypeORM wrapped it. */
function codeOf(error: unknown): { code?: string; path?: string } {
  const outer = error as { code?: unknown; path?: unknown; driverError?: { code?: unknown } } | null;
  const code = outer?.driverError?.code ?? outer?.code;
  return {
    code: typeof code === 'string' ? code : undefined,
    path: typeof outer?.path === 'string' ? outer.path : undefined,
  };
}

/**
 * Recognizes a failure to store data and says, in the admin's words, what failed and what
 * to do: a read-only file system (EROFS, SQLITE_READONLY), a full disk (ENOSPC, EDQUOT,
 * SQLITE_FULL), a database locked by another program (SQLITE_BUSY, SQLITE_LOCKED), or a
 * permission refused (EACCES, EPERM). Anything else is not a storage failure: undefined.
 */
export function storageFailure(error: unknown, where: StorageLocations = {}): StorageFailedError | undefined {
  if (error instanceof StorageFailedError) return error;
  const { code, path } = codeOf(error);
  if (!code) return undefined;
  const database = where.databaseFile ? `the database ${where.databaseFile}` : 'the database';
  // A file system error names its file when it has one (a failed write() has none).
  const place = path ?? 'the data directory';
  switch (code) {
    case 'EROFS':
      return new StorageFailedError(
        `Saving failed: ${place} is on a read-only file system. Make the data directory writable (check how it is mounted, and ReadWritePaths= in a systemd unit), then try again. ${KEEPS_SERVING}`,
        code,
      );
    case 'SQLITE_READONLY':
      return new StorageFailedError(
        `Saving failed: ${database} is read-only (the file, its directory or the file system cannot be written). Make it writable for the panel's user, then try again. ${KEEPS_SERVING}`,
        code,
      );
    case 'ENOSPC':
    case 'EDQUOT':
    case 'SQLITE_FULL':
      return new StorageFailedError(
        `Saving failed: the disk holding ${code === 'SQLITE_FULL' ? database : place} is full${code === 'EDQUOT' ? ' (disk quota exceeded)' : ''}. Free some space on it, then try again. ${KEEPS_SERVING}`,
        code,
      );
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED': {
      const waited = where.busyTimeoutMs ? ` for ${Math.round(where.busyTimeoutMs / 1000)} s` : '';
      return new StorageFailedError(
        `Saving failed: ${database} stayed locked by another program${waited} (a backup, or an sqlite3 shell with an open transaction). Try again once it has finished. ${KEEPS_SERVING}`,
        code,
      );
    }
    case 'EACCES':
    case 'EPERM':
      return new StorageFailedError(
        `Saving failed: permission denied on ${place}. Give the panel's user write access to the data directory, then try again. ${KEEPS_SERVING}`,
        code,
      );
    default:
      return undefined;
  }
}
