import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';

/**
 * What the module needs to know about a certificate: who issued it, when it is valid,
 * which names it covers. Read with node's X509 support (no I/O).
 */
export interface CertificateInfo {
  readonly issuer: string;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly dnsNames: readonly string[];
  readonly serialNumber: string;
  readonly fingerprint256: string;
}

/** Splits a PEM bundle (leaf first, then the chain) into its certificates. */
export function splitPemChain(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** A distinguished name as `[attribute, value]` pairs, in order. */
type NameFields = ReadonlyArray<readonly [string, string]>;

function organizationOrCommonName(fields: NameFields): string {
  const last = (attribute: string) => fields.filter(([key]) => key === attribute).at(-1)?.[1];
  const cn = last('CN');
  const o = last('O');
  if (cn && o && !cn.includes(o)) return `${cn} (${o})`;
  return cn ?? o ?? joinName(fields);
}

const joinName = (fields: NameFields) => fields.map(([key, value]) => `${key}=${value}`).join(', ');

/** The same facts, whichever way node gave the certificate. */
function certificateInfo(certificate: {
  issuer: NameFields;
  subject: NameFields;
  validFrom: string;
  validTo: string;
  subjectAltName: string | undefined;
  serialNumber: string;
  fingerprint256: string;
}): CertificateInfo {
  const dnsNames = (certificate.subjectAltName ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
  return {
    issuer: organizationOrCommonName(certificate.issuer),
    subject: joinName(certificate.subject),
    notBefore: new Date(certificate.validFrom),
    notAfter: new Date(certificate.validTo),
    dnsNames,
    serialNumber: certificate.serialNumber,
    fingerprint256: certificate.fingerprint256,
  };
}

/** `X509Certificate`'s names are one `attribute=value` per line. */
function x509NameFields(name: string): NameFields {
  return name.split('\n').flatMap((line) => {
    const at = line.indexOf('=');
    return at > 0 ? [[line.slice(0, at), line.slice(at + 1)] as const] : [];
  });
}

/** The leaf (first) certificate of a PEM bundle. */
export function describeCertificate(certificatePem: string): CertificateInfo {
  const [leaf] = splitPemChain(certificatePem);
  if (!leaf) throw new Error('no certificate found in the PEM data');
  const x509 = new X509Certificate(leaf);
  return certificateInfo({
    issuer: x509NameFields(x509.issuer),
    subject: x509NameFields(x509.subject),
    validFrom: x509.validFrom,
    validTo: x509.validTo,
    subjectAltName: x509.subjectAltName,
    serialNumber: x509.serialNumber,
    fingerprint256: x509.fingerprint256,
  });
}

/**
 * A certificate a TLS server presented, as node already decoded it during the handshake
 * (`tls.PeerCertificate`, also `X509Certificate.toLegacyObject()`): no second parse, which
 * a sweep over thousands of policy hosts would otherwise pay once per host.
 */
export function describePeerCertificate(certificate: PeerCertificate): CertificateInfo {
  const fields = (name: PeerCertificate['subject'] | undefined): NameFields =>
    Object.entries(name ?? {}).flatMap(([key, value]: [string, string | string[] | undefined]) =>
      (Array.isArray(value) ? value : value === undefined ? [] : [value]).map((one) => [key, one] as const),
    );
  return certificateInfo({
    issuer: fields(certificate.issuer),
    subject: fields(certificate.subject),
    validFrom: certificate.valid_from,
    validTo: certificate.valid_to,
    subjectAltName: certificate.subjectaltname,
    serialNumber: certificate.serialNumber,
    fingerprint256: certificate.fingerprint256,
  });
}

/** A certificate name covers a host exactly or through a single-label wildcard (RFC 6125 §6.4.3). */
export function certificateCoversHost(info: CertificateInfo, host: string): boolean {
  const wanted = host.toLowerCase();
  return info.dnsNames.some((name) => {
    if (name === wanted) return true;
    if (!name.startsWith('*.')) return false;
    const dot = wanted.indexOf('.');
    return dot > 0 && wanted.slice(dot + 1) === name.slice(2);
  });
}

/**
 * Whether a certificate already on disk can be put back into service instead of ordering
 * a new one (Enable after Disable): it must cover the host and have more than a third of
 * its lifetime left, the point where renewal would start anyway.
 */
export function isReusable(info: CertificateInfo, host: string, now: Date): boolean {
  const lifetime = info.notAfter.getTime() - info.notBefore.getTime();
  const left = info.notAfter.getTime() - now.getTime();
  return certificateCoversHost(info, host) && now >= info.notBefore && left > lifetime / 3;
}
