import { join } from 'node:path';

/**
 * Where things live under the data directory. Policy files and the ACME webroot are read
 * by nginx's workers (0755 directories, 0644 files); certificate keys only by its master
 * (0700 directory, 0600 keys).
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

  /** `domain` is a validated A-label name, so it is safe as a file name. */
  policyFile(domain: string): string {
    return join(this.policiesDir, `${domain}.txt`);
  }

  /** The certificate chain followed by its private key (0600), as nginx reads it. */
  certificateBundle(domain: string): string {
    return join(this.certificatesDir, domain, 'certificate.pem');
  }
}
