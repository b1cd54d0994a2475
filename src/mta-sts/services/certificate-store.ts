import { CertificateInfo, describeCertificate } from '../domain/certificate';
import { IssuedCertificate } from '../ports/certificate-authority.port';
import { FileStore } from '../ports/file-store.port';
import { DataLayout } from './data-layout';

/** Certificates and keys on disk: keys 0600 in a 0700 directory, both written atomically. */
export class CertificateStore {
  constructor(
    private readonly files: FileStore,
    private readonly layout: DataLayout,
  ) {}

  async save(domain: string, issued: IssuedCertificate): Promise<CertificateInfo> {
    const info = describeCertificate(issued.certificatePem);
    await this.files.ensureDir(this.layout.certificatesDir, 0o700);
    // Key first: a certificate on disk always has its key beside it.
    await this.files.writeAtomic(this.layout.keyFile(domain), issued.privateKeyPem, 0o600);
    await this.files.writeAtomic(this.layout.certificateFile(domain), issued.certificatePem, 0o644);
    return info;
  }

  /** The certificate on disk for a domain, if there is one with its key. */
  async load(domain: string): Promise<CertificateInfo | undefined> {
    const pem = await this.files.read(this.layout.certificateFile(domain));
    const key = await this.files.read(this.layout.keyFile(domain));
    if (!pem || !key) return undefined;
    try {
      return describeCertificate(pem);
    } catch {
      return undefined;
    }
  }
}
