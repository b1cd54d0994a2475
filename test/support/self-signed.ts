import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSignedOptions {
  /** `-subj`, e.g. `/O=Example/CN=mta-sts.example.com`. */
  readonly subject: string;
  /** Extra `-addext` values, e.g. `subjectAltName=DNS:mta-sts.example.com`. */
  readonly extensions?: readonly string[];
  /** Valid from now for this many days. */
  readonly days?: number;
  /** `-set_serial`, e.g. `0x87654321`. */
  readonly serial?: string;
}

export interface SelfSigned {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/** A self-signed P-256 certificate made by `openssl req -x509`, as tests need one. */
export function selfSigned(options: SelfSignedOptions): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', String(options.days ?? 90), '-subj', options.subject,
        ...(options.serial ? ['-set_serial', options.serial] : []),
        ...(options.extensions ?? []).flatMap((extension) => ['-addext', extension]),
      ], // prettier-ignore
      { stdio: 'pipe' },
    );
    return { certificatePem: readFileSync(certFile, 'utf8'), privateKeyPem: readFileSync(keyFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
