import { Inject, Injectable, Logger } from '@nestjs/common';
import { join } from 'node:path';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { FileStore } from '../ports/file-store.port';
import { DataLayout } from './data-layout';

/** The temporary names `FileStore.writeAtomic` and `symlinkAtomic` use. */
const STALE_TEMPORARY = /^\..+\.[0-9a-f]{12}\.tmp$/;

/** The data directory and nginx's sites directory as start-up finds them. */
@Injectable()
export class DataDirectory {
  private readonly logger = new Logger('MtaSts');

  constructor(
    @Inject(FileStore) private readonly files: FileStore,
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    private readonly layout: DataLayout,
  ) {}

  /**
   * An atomic write that was interrupted leaves its temporary file (`.name.<hex>.tmp`)
   * behind, never a half-written file under the real name. No write runs yet at start-up,
   * so every such file in the module's directories is stale. The directories of each
   * domain's certificate are left to `removeStaleCertificateTemporaries`.
   */
  async removeStaleTemporaries(): Promise<void> {
    const dirs = [
      this.layout.policiesDir,
      this.layout.challengeDir,
      this.layout.accountDir,
      this.layout.servedDir,
      this.options.nginx.sitesDir,
      this.layout.certificatesDir,
    ];
    // No order or probe is in flight at start-up: every answer left in the webroot is stale,
    // and it would stay publicly served on port 80.
    for (const name of await this.files.list(this.layout.challengeDir).catch(() => [] as string[])) {
      await this.files.remove(join(this.layout.challengeDir, name)).catch(() => undefined);
    }
    for (const dir of dirs) await this.removeTemporariesIn(dir);
  }

  /**
   * The same for the directory of each domain's certificate, one per domain: done while
   * the panel already runs (a provider's 100,000 directories would hold start-up up for
   * seconds), so only temporaries older than `startedAt` go, never one a renewal is
   * writing now. Nothing reads them meanwhile: nginx and the module use the real names.
   */
  async removeStaleCertificateTemporaries(startedAt: Date): Promise<void> {
    for (const name of await this.files.list(this.layout.certificatesDir).catch(() => [] as string[])) {
      await this.removeTemporariesIn(join(this.layout.certificatesDir, name), startedAt);
    }
  }

  private async removeTemporariesIn(dir: string, olderThan?: Date): Promise<void> {
    for (const name of await this.files.list(dir).catch(() => [] as string[])) {
      if (!STALE_TEMPORARY.test(name)) continue;
      const path = join(dir, name);
      if (olderThan && ((await this.files.stat(path))?.modifiedMs ?? Infinity) >= olderThan.getTime()) continue;
      this.logger.warn(`Removing ${path}, left by an interrupted write`);
      await this.files.remove(path).catch(() => undefined);
    }
  }

  /** Whether a restore from backup left its marker: every serving site is to be written again. */
  async restoredFromBackup(): Promise<boolean> {
    return (await this.files.read(this.layout.restoredMarker)) !== undefined;
  }

  async clearRestoredMarker(): Promise<void> {
    await this.files.remove(this.layout.restoredMarker);
  }
}
