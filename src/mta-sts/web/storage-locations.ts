import { Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { StorageFailedError } from '../domain/errors';
import { StorageLocations, storageFailure } from '../domain/storage-failure';

/** Names the host's database in storage failure messages (see `storageFailure`). */
@Injectable()
export class StorageFailures {
  private readonly locations: StorageLocations;

  constructor(@Optional() dataSource?: DataSource) {
    const options = dataSource?.options as { type?: string; database?: unknown; busyTimeout?: unknown } | undefined;
    this.locations = {
      databaseFile: options?.type === 'sqlite' && typeof options.database === 'string' ? options.database : undefined,
      busyTimeoutMs: typeof options?.busyTimeout === 'number' ? options.busyTimeout : undefined,
    };
  }

  /** The error as a storage failure in the admin's words, or undefined when it is not one. */
  recognize(error: unknown): StorageFailedError | undefined {
    return storageFailure(error, this.locations);
  }
}
