import { certificateClause, handshakeClause, NodeSmtpProber } from '../../src/mta-sts/adapters/smtp/node-smtp.prober';
import { DnsResolver } from '../../src/mta-sts/ports';

/**
 * The codes the loopback servers of test/integration/smtp-prober.spec.ts cannot produce:
 * OpenSSL 3 answers a TLS 1.2+ hello from a TLS 1.1 server with a protocol_version alert,
 * so the other version errors are only seen with other server stacks.
 */
describe('NodeSmtpProber wording', () => {
  const notBefore = new Date('2025-10-04T00:00:00Z');
  const notAfter = new Date('2026-01-02T12:00:00Z');

  it.each([
    ['CERT_HAS_EXPIRED', 'expired on 2026-01-02'],
    ['CERT_NOT_YET_VALID', 'is not valid before 2025-10-04'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'is not signed by a trusted CA (self-signed?)'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'is not signed by a trusted CA (self-signed?)'],
    [
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'is not signed by a trusted CA (a private CA, or is the intermediate certificate missing from the chain?)',
    ],
    [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'is not signed by a trusted CA (a private CA, or is the intermediate certificate missing from the chain?)',
    ],
    ['CERT_REVOKED', 'has been revoked'],
    ['INVALID_PURPOSE', 'failed validation (INVALID_PURPOSE)'],
  ])('describes %s', (code, clause) => {
    expect(certificateClause(code, notBefore, notAfter)).toBe(clause);
  });

  it.each([
    ['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'offers only TLS 1.0/1.1 (TLS 1.2 or later is required)'],
    ['ERR_SSL_UNSUPPORTED_PROTOCOL', 'offers only TLS 1.0/1.1 (TLS 1.2 or later is required)'],
    ['ERR_SSL_NO_PROTOCOLS_AVAILABLE', 'offers only TLS 1.0/1.1 (TLS 1.2 or later is required)'],
    [
      'ERR_SSL_WRONG_VERSION_NUMBER',
      'did not answer in TLS 1.2 or later after accepting STARTTLS (wrong version number)',
    ],
    ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'has no cipher in common with a TLS 1.2 client (handshake failure)'],
    ['ECONNRESET', 'closed the connection during the TLS handshake'],
    ['ERR_SSL_DECRYPTION_FAILED', 'failed the TLS handshake (ERR_SSL_DECRYPTION_FAILED)'],
    [undefined, 'failed the TLS handshake (unknown error)'],
  ])('describes a handshake failing with %s', (code, clause) => {
    expect(handshakeClause(code)).toBe(clause);
  });

  it('refuses a HELO name that could inject a command', () => {
    const dns = {} as DnsResolver;

    expect(() => new NodeSmtpProber({ port: 25, timeoutMs: 1000, heloName: 'a.example\r\nRSET' }, dns)).toThrow(
      /heloName/,
    );
  });
});
