import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IssuedCertificate } from '../../../src/mta-sts/ports';

/**
 * A self-signed P-256 certificate for one host name, made with `openssl req -x509`, valid
 * from now for `days` days, with Subject and Authority Key Identifiers (so it has an ARI
 * certificate id).
 */
export function makeTestCertificate(host: string, days = 90): IssuedCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        String(days),
        '-subj',
        `/O=Integration Test CA/CN=${host}`,
        '-addext',
        `subjectAltName=DNS:${host}`,
      ],
      { stdio: 'pipe' },
    );
    return { certificatePem: readFileSync(certFile, 'utf8'), privateKeyPem: readFileSync(keyFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
