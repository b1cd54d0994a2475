import { X509Certificate } from 'node:crypto';

/**
 * What the module needs to know about a certificate: who issued it, when it is valid,
 * which names it covers. Parsed from PEM with node's X509 support (no I/O).
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

function organizationOrCommonName(distinguishedName: string): string {
  const fields = new Map<string, string>();
  for (const line of distinguishedName.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) fields.set(line.slice(0, at), line.slice(at + 1));
  }
  const cn = fields.get('CN');
  const o = fields.get('O');
  if (cn && o && !cn.includes(o)) return `${cn} (${o})`;
  return cn ?? o ?? distinguishedName.replace(/\n/g, ', ');
}

export function describeCertificate(certificatePem: string): CertificateInfo {
  const [leaf] = splitPemChain(certificatePem);
  if (!leaf) throw new Error('no certificate found in the PEM data');
  const x509 = new X509Certificate(leaf);
  const dnsNames = (x509.subjectAltName ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
  return {
    issuer: organizationOrCommonName(x509.issuer),
    subject: x509.subject.replace(/\n/g, ', '),
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    dnsNames,
    serialNumber: x509.serialNumber,
    fingerprint256: x509.fingerprint256,
  };
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
