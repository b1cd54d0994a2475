import { StorageFailedError } from '../../src/mta-sts/domain/errors';
import { storageFailure } from '../../src/mta-sts/domain/storage-failure';

const where = { databaseFile: '/var/lib/mta-sts/mta-sts.sqlite', busyTimeoutMs: 5_000 };
const fsError = (code: string, path = '/var/lib/mta-sts/policies/example.com.txt') =>
  Object.assign(new Error(`${code}: failed, open '${path}'`), { code, path });
/** TypeORM's QueryFailedError keeps the driver's error in `driverError`. */
const queryFailed = (code: string) => Object.assign(new Error('QueryFailedError'), { driverError: { code } });

describe('storageFailure', () => {
  it.each<[string, unknown, RegExp]>([
    [
      'a read-only file system',
      fsError('EROFS'),
      /^Saving failed: \/var\/lib\/mta-sts\/policies\/example\.com\.txt is on a read-only file system\. Make the data directory writable/,
    ],
    [
      'a full disk',
      fsError('ENOSPC'),
      /^Saving failed: the disk holding \/var\/lib\/mta-sts\/policies\/example\.com\.txt is full\. Free some space/,
    ],
    ['a disk quota', fsError('EDQUOT'), /is full \(disk quota exceeded\)\./],
    [
      'a refused permission',
      fsError('EACCES'),
      /^Saving failed: permission denied on \/var\/lib\/mta-sts\/policies\/example\.com\.txt\. Give the panel's user write access/,
    ],
    [
      'a full database',
      queryFailed('SQLITE_FULL'),
      /^Saving failed: the disk holding the database \/var\/lib\/mta-sts\/mta-sts\.sqlite is full\./,
    ],
    [
      'a read-only database',
      queryFailed('SQLITE_READONLY'),
      /^Saving failed: the database \/var\/lib\/mta-sts\/mta-sts\.sqlite is read-only/,
    ],
    [
      'a locked database',
      queryFailed('SQLITE_BUSY'),
      /^Saving failed: the database \/var\/lib\/mta-sts\/mta-sts\.sqlite stayed locked by another program for 5 s \(a backup/,
    ],
    ['a locked table', { code: 'SQLITE_LOCKED' }, /stayed locked by another program/],
  ])('says what failed and what to do for %s', (_what, error, message) => {
    const failure = storageFailure(error, where);
    expect(failure).toBeInstanceOf(StorageFailedError);
    expect(failure!.kind).toBe('unavailable');
    expect(failure!.message).toMatch(message);
    expect(failure!.message.endsWith('Nothing was changed, and what was serving keeps serving.')).toBe(true);
  });

  it.each<[string, unknown]>([
    ['a plain error', new Error('boom')],
    ['another file system error', fsError('ENOENT')],
    ['a constraint violation', queryFailed('SQLITE_CONSTRAINT')],
    ['null', null],
    ['a string', 'EROFS'],
  ])('is not a storage failure: %s', (_what, error) => {
    expect(storageFailure(error, where)).toBeUndefined();
  });

  it('never blames the database for a file system error without a path', () => {
    const failure = storageFailure(
      Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }),
      where,
    );
    expect(failure!.message).toMatch(/^Saving failed: the disk holding the data directory is full\./);
    expect(failure!.message).not.toContain('mta-sts.sqlite');
  });

  it('names the database generically when it does not know the file', () => {
    expect(storageFailure(queryFailed('SQLITE_BUSY'))!.message).toMatch(
      /^Saving failed: the database stayed locked by another program \(/,
    );
  });
});
