import { CertificateInfo, describeCertificate, splitPemChain } from '../domain/certificate';
import { renewalDueFromLifetime } from '../domain/renewal';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { IssuedCertificate } from '../ports/certificate-authority.port';
import { dirname } from 'node:path';
import { FileOwner, FileStore } from '../ports/file-store.port';
import { DataLayout } from './data-layout';

/** What is on disk for a domain: the certificate (chain) and its key. */
export interface StoredCertificate extends IssuedCertificate {
  readonly info: CertificateInfo;
}

/** Who reads the bundles: see nginx's `layout` option. */
export interface BundleReaders {
  /**
   * nginx's worker user, in the shared layout: its workers read the bundles, so each one
   * is written 0600 owned by that user, in 0711 directories. Absent in the per-domain
   * layout, where only nginx's master (root) reads them.
   */
  readonly workerOwner?: FileOwner;
}

/**
 * Where every node finds a domain's bundle when several serve it (see `SharedBundles`):
 * the database, written before this node's own file so that a file on disk always has
 * its copy there.
 */
export interface BundleMirror {
  put(domain: string, bundle: string): Promise<void>;
  get(domain: string): Promise<string | undefined>;
  remove(domain: string): Promise<void>;
}

/**
 * Certificates and keys on disk. The chain and the key share one file (0600) written
 * atomically, so nginx can never read a new certificate with an old key, whatever moment
 * the process stops at. The directory is 0700 when only nginx's master reads the files,
 * 0711 when its workers do (they must traverse it, never list it).
 */
export class CertificateStore {
  constructor(
    private readonly files: FileStore,
    private readonly layout: DataLayout,
    private readonly readers: BundleReaders = {},
    private readonly mirror?: BundleMirror,
  ) {}

  /** Installs a certificate and returns what it replaced, for a rollback. */
  async save(domain: string, issued: IssuedCertificate): Promise<{ info: CertificateInfo; previous?: string }> {
    const info = describeCertificate(issued.certificatePem);
    const path = this.layout.certificateBundle(domain);
    const previous = await this.files.read(path);
    const bundle = `${issued.certificatePem.trim()}\n${issued.privateKeyPem.trim()}\n`;
    await this.mirror?.put(domain, bundle);
    await this.install(domain, bundle);
    return { info, previous };
  }

  /** Puts back what `save` replaced. */
  async restore(domain: string, previous: string | undefined): Promise<void> {
    const path = this.layout.certificateBundle(domain);
    if (previous === undefined) {
      await this.mirror?.remove(domain);
      await this.files.remove(path);
    } else {
      await this.mirror?.put(domain, previous);
      await this.install(domain, previous);
    }
  }

  /** Writes this node's bundle file only (a node bringing its files in line with the database). */
  async install(domain: string, bundle: string): Promise<void> {
    const path = this.layout.certificateBundle(domain);
    await this.files.writeAtomic(path, bundle, 0o600, await this.prepare(path));
  }

  /** This node's bundle file as it is, or undefined. */
  localBundle(domain: string): Promise<string | undefined> {
    return this.files.read(this.layout.certificateBundle(domain));
  }

  /** Sets the directory modes for a bundle about to be written and says who must own it. */
  private async prepare(path: string): Promise<FileOwner | undefined> {
    const { workerOwner } = this.readers;
    if (workerOwner) {
      await this.files.ensureDir(this.layout.certificatesDir, 0o711);
      await this.files.ensureDir(dirname(path), 0o711);
      return workerOwner;
    }
    // Per-domain layout. Hosts still served through links of the shared layout (an install
    // switched back, whose hosts nginx re-applies one by one) need their bundles readable
    // by the workers until then: keep the directory traversable and the file's owner.
    const servedLinks = (await this.files.list(this.layout.servedDir)).filter((name) => name.endsWith('.pem'));
    if (servedLinks.length === 0) {
      await this.files.ensureDir(this.layout.certificatesDir, 0o700);
      return undefined;
    }
    const current = await this.files.stat(path);
    return current && { uid: current.uid, gid: current.gid };
  }

  /** The certificate for a domain (on disk, else in the shared database), if there is one with its key. */
  async load(domain: string): Promise<StoredCertificate | undefined> {
    // In a cluster the database's copy wins: another node may have renewed it a moment ago.
    const bundle = this.mirror
      ? ((await this.mirror.get(domain)) ?? (await this.localBundle(domain)))
      : await this.localBundle(domain);
    if (!bundle) return undefined;
    const key = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/.exec(bundle)?.[0];
    const chain = splitPemChain(bundle);
    if (!key || chain.length === 0) return undefined;
    try {
      return {
        info: describeCertificate(chain[0]),
        certificatePem: `${chain.join('\n')}\n`,
        privateKeyPem: `${key}\n`,
      };
    } catch {
      return undefined;
    }
  }
}

/**
 * What a domain records about a certificate that was just installed: its facts, the CA
 * directory it came from, when it is due for renewal, and a renewal history wiped clean.
 */
export function installedCertificateFields(info: CertificateInfo, directoryUrl: string): Partial<MtaStsDomainEntity> {
  return {
    certIssuer: info.issuer,
    certNotBefore: info.notBefore,
    certNotAfter: info.notAfter,
    certDirectoryUrl: directoryUrl,
    renewAfter: renewalDueFromLifetime(info.notBefore, info.notAfter),
    renewWindow: null,
    renewFailures: 0,
    renewNextAttemptAt: null,
    renewLastError: null,
    renewRetryAfter: null,
  };
}
