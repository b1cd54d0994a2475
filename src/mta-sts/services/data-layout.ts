import { join } from 'node:path';

/** Left in the data directory by a restore from backup (see `DataLayout.restoredMarker`). */
export const RESTORED_MARKER = '.restored';

/**
 * Where things live under the data directory. Policy files and the ACME webroot are read
 * by nginx's workers (0755 directories, 0644 files). Certificate bundles (0600) are read
 * by nginx's master in the per-domain layout (0700 directory, owned by root); in the
 * shared layout nginx's workers read them, so they belong to the worker user and the
 * directories on the way are 0711.
 */
export class DataLayout {
  constructor(readonly dataDir: string) {}

  get databaseFile(): string {
    return join(this.dataDir, 'mta-sts.sqlite');
  }

  get accountDir(): string {
    return join(this.dataDir, 'acme');
  }

  get policiesDir(): string {
    return join(this.dataDir, 'policies');
  }

  get acmeWebroot(): string {
    return join(this.dataDir, 'webroot');
  }

  get challengeDir(): string {
    return join(this.acmeWebroot, '.well-known', 'acme-challenge');
  }

  get certificatesDir(): string {
    return join(this.dataDir, 'certs');
  }

  /**
   * The shared layout's certificate names: `<policy host>.pem` links to that domain's
   * bundle, and nginx picks the file by the TLS client's SNI name.
   */
  get servedDir(): string {
    return join(this.dataDir, 'served');
  }

  /** Left by a restore from backup: the next start writes every serving domain's nginx site again. */
  get restoredMarker(): string {
    return join(this.dataDir, RESTORED_MARKER);
  }

  /** `domain` is a validated A-label name, so it is safe as a file name. */
  policyFile(domain: string): string {
    return join(this.policiesDir, `${domain}.txt`);
  }

  /** The certificate chain followed by its private key (0600), as nginx reads it. */
  certificateBundle(domain: string): string {
    return join(this.certificatesDir, domain, 'certificate.pem');
  }
}
