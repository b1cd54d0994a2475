import { IssuedCertificate } from '../../../src/mta-sts/ports';
import { selfSigned } from '../../support/self-signed';

/**
 * A self-signed P-256 certificate for one host name, made with `openssl req -x509`, valid
 * from now for `days` days, with Subject and Authority Key Identifiers (so it has an ARI
 * certificate id).
 */
export function makeTestCertificate(host: string, days = 90): IssuedCertificate {
  return selfSigned({
    subject: `/O=Integration Test CA/CN=${host}`,
    extensions: [`subjectAltName=DNS:${host}`],
    days,
  });
}
