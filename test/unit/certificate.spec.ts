import { X509Certificate } from 'node:crypto';
import { selfSigned } from '../support/self-signed';
import {
  CertificateInfo,
  certificateCoversHost,
  describeCertificate,
  describePeerCertificate,
  isReusable,
  splitPemChain,
} from '../../src/mta-sts/domain/certificate';

const DAY = 86_400_000;

let startedAt: number;

/** A self-signed EC certificate made by openssl, valid for `days` from now. */
function selfSignedPem(subject: string, altNames: string, days = 90): string {
  return selfSigned({ subject, extensions: [`subjectAltName=${altNames}`], days }).certificatePem;
}

let hostPem: string;
let hostKey: string;
let wildcardPem: string;
let host: CertificateInfo;
let wildcard: CertificateInfo;

beforeAll(() => {
  startedAt = Date.now();
  const made = selfSigned({
    subject: '/O=Example Test CA/CN=mta-sts.example.com',
    extensions: ['subjectAltName=DNS:mta-sts.example.com,IP:192.0.2.10'],
  });
  hostPem = made.certificatePem;
  hostKey = made.privateKeyPem;
  wildcardPem = selfSignedPem('/CN=*.example.com', 'DNS:*.example.com,DNS:MTA-STS.Example.ORG');
  host = describeCertificate(hostPem);
  wildcard = describeCertificate(wildcardPem);
});

describe('describeCertificate', () => {
  it('names the issuer by common name and organization', () => {
    expect(host.issuer).toBe('mta-sts.example.com (Example Test CA)');
    expect(host.subject).toBe('O=Example Test CA, CN=mta-sts.example.com');
  });

  it('names the issuer by common name alone when there is no organization', () => {
    expect(wildcard.issuer).toBe('*.example.com');
  });

  it('does not repeat an organization that the common name already contains', () => {
    const pem = selfSignedPem('/O=Example/CN=Example Root R1', 'DNS:mta-sts.example.net');
    expect(describeCertificate(pem).issuer).toBe('Example Root R1');
  });

  it('lists only DNS names from the subject alternative names, lower-cased', () => {
    expect(host.dnsNames).toEqual(['mta-sts.example.com']);
    expect(wildcard.dnsNames).toEqual(['*.example.com', 'mta-sts.example.org']);
  });

  it('reads the validity period', () => {
    expect(host.notBefore.getTime()).toBeGreaterThanOrEqual(Math.floor(startedAt / 1000) * 1000 - 1000);
    expect(host.notBefore.getTime()).toBeLessThanOrEqual(Date.now());
    expect(host.notAfter.getTime() - host.notBefore.getTime()).toBe(90 * DAY);
  });

  it('reads the serial number and the SHA-256 fingerprint', () => {
    expect(host.serialNumber).toMatch(/^[0-9A-F]+$/);
    expect(host.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(host.fingerprint256).not.toBe(wildcard.fingerprint256);
  });

  it('describes the leaf, the first certificate of a chain', () => {
    expect(describeCertificate(hostPem + wildcardPem).dnsNames).toEqual(['mta-sts.example.com']);
    expect(describeCertificate(wildcardPem + hostPem).dnsNames).toEqual(['*.example.com', 'mta-sts.example.org']);
  });

  it('says the same of a certificate a TLS server presented as of its PEM', () => {
    const pems = [
      hostPem,
      wildcardPem,
      selfSignedPem('/C=US/O=Example/OU=Ops/OU=Mail/CN=Example Root R1', 'DNS:a.example.net,DNS:b.example.net'),
    ];
    for (const pem of pems) {
      // toLegacyObject() is the shape tls.TLSSocket#getPeerCertificate() answers with.
      const presented = new X509Certificate(pem).toLegacyObject();
      expect(describePeerCertificate(presented)).toEqual(describeCertificate(pem));
    }
  });

  it('refuses data without a certificate', () => {
    expect(() => describeCertificate('')).toThrow('no certificate found in the PEM data');
    expect(() => describeCertificate('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')).toThrow(
      'no certificate found',
    );
  });
});

describe('splitPemChain', () => {
  it('splits a bundle into its certificates, in order', () => {
    const parts = splitPemChain(`${hostPem}\n${wildcardPem}`);
    expect(parts).toHaveLength(2);
    expect(parts[0]).toBe(hostPem.trim());
    expect(parts[1]).toBe(wildcardPem.trim());
  });

  it('ignores a private key and other text around the certificates', () => {
    const parts = splitPemChain(`subject=whatever\n${hostKey}${hostPem}trailing text\n`);
    expect(parts).toEqual([hostPem.trim()]);
  });

  it('returns an empty list when there is no certificate', () => {
    expect(splitPemChain('')).toEqual([]);
    expect(splitPemChain('-----BEGIN CERTIFICATE-----\n')).toEqual([]);
  });
});

describe('certificateCoversHost', () => {
  it('covers the exact name, in any case', () => {
    expect(certificateCoversHost(host, 'mta-sts.example.com')).toBe(true);
    expect(certificateCoversHost(host, 'MTA-STS.Example.COM')).toBe(true);
  });

  it('does not cover another name', () => {
    expect(certificateCoversHost(host, 'mta-sts.example.net')).toBe(false);
    expect(certificateCoversHost(host, 'example.com')).toBe(false);
  });

  it('covers one label through a wildcard', () => {
    expect(certificateCoversHost(wildcard, 'mta-sts.example.com')).toBe(true);
  });

  it('does not cover two labels through a wildcard', () => {
    expect(certificateCoversHost(wildcard, 'a.mta-sts.example.com')).toBe(false);
  });

  it('does not cover the apex through a wildcard', () => {
    expect(certificateCoversHost(wildcard, 'example.com')).toBe(false);
  });

  it('does not cover a name that only ends like the wildcard domain', () => {
    expect(certificateCoversHost(wildcard, 'mta-sts.badexample.com')).toBe(false);
    expect(certificateCoversHost(wildcard, '.example.com')).toBe(false);
  });

  it('does not cover anything with an IP address entry', () => {
    expect(certificateCoversHost(host, '192.0.2.10')).toBe(false);
  });
});

describe('isReusable', () => {
  const at = (info: CertificateInfo, fraction: number) =>
    new Date(info.notBefore.getTime() + (info.notAfter.getTime() - info.notBefore.getTime()) * fraction);

  it('reuses a fresh certificate for its host', () => {
    expect(isReusable(host, 'mta-sts.example.com', new Date(host.notBefore.getTime() + 60_000))).toBe(true);
    expect(isReusable(wildcard, 'mta-sts.example.com', new Date(wildcard.notBefore.getTime() + 60_000))).toBe(true);
  });

  it('reuses a certificate half way through its lifetime', () => {
    expect(isReusable(host, 'mta-sts.example.com', at(host, 0.5))).toBe(true);
  });

  it('does not reuse a certificate past two thirds of its lifetime', () => {
    expect(isReusable(host, 'mta-sts.example.com', new Date(at(host, 2 / 3).getTime() + 1000))).toBe(false);
    expect(isReusable(host, 'mta-sts.example.com', at(host, 0.9))).toBe(false);
  });

  it('does not reuse an expired certificate', () => {
    expect(isReusable(host, 'mta-sts.example.com', new Date(host.notAfter.getTime() + DAY))).toBe(false);
  });

  it('does not reuse a certificate that is not valid yet', () => {
    expect(isReusable(host, 'mta-sts.example.com', new Date(host.notBefore.getTime() - DAY))).toBe(false);
  });

  it('does not reuse a certificate for another name', () => {
    expect(isReusable(host, 'mta-sts.example.net', new Date(host.notBefore.getTime() + 60_000))).toBe(false);
    expect(isReusable(wildcard, 'a.mta-sts.example.com', new Date(wildcard.notBefore.getTime() + 60_000))).toBe(false);
  });
});
