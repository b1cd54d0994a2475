import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

function pem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trim();
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

export interface IssuedPair {
  /** Leaf then the CA certificate, as nginx wants a chain. */
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/**
 * A certificate authority made in memory for tests and the benchmark: thousands of
 * certificates in seconds, with the validity and names a test asks for (expired ones too).
 */
export class TestCa {
  private serial = 1;

  private constructor(
    private readonly keys: webcrypto.CryptoKeyPair,
    readonly certificate: x509.X509Certificate,
  ) {}

  get certificatePem(): string {
    return this.certificate.toString('pem') + '\n';
  }

  static async create(name = 'Test CA'): Promise<TestCa> {
    const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const now = Date.now();
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: `CN=${name}`,
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + 3650 * DAY_MS),
      signingAlgorithm: ALGORITHM,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new TestCa(keys, certificate);
  }

  async issue(hosts: readonly string[], validity: { notBefore?: Date; notAfter?: Date } = {}): Promise<IssuedPair> {
    const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const now = Date.now();
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: (this.serial++).toString(16).padStart(8, '0'),
      subject: `CN=${hosts[0]}`,
      issuer: this.certificate.subject,
      notBefore: validity.notBefore ?? new Date(now - 60_000),
      notAfter: validity.notAfter ?? new Date(now + 90 * DAY_MS),
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: this.keys.privateKey,
      extensions: [
        new x509.SubjectAlternativeNameExtension(hosts.map((value) => ({ type: 'dns' as const, value }))),
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate),
      ],
    });
    return {
      certificatePem: `${leaf.toString('pem')}\n${this.certificatePem}`,
      privateKeyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    };
  }
}
