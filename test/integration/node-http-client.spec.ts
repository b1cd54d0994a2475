import { createServer as createHttpServer, Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AddressInfo } from 'node:net';
import { NodeHttpClient } from '../../src/mta-sts/adapters/node-http.client';
import { describeCertificate } from '../../src/mta-sts/domain/certificate';
import { HttpRequest } from '../../src/mta-sts/ports';
import { selfSigned, SelfSigned } from '../support/self-signed';

const HOST = 'mta-sts.example.com';
const POLICY = 'version: STSv1\r\nmode: testing\r\nmx: mx.example.com\r\nmax_age: 86400\r\n';

/** The HTTP client the checks use, against real local HTTP and HTTPS servers. */
describe('NodeHttpClient', () => {
  let certificate: SelfSigned;
  let https: Server;
  let http: Server;
  const client = new NodeHttpClient();

  const portOf = (server: Server) => (server.address() as AddressInfo).port;
  const request = (server: Server, overrides: Partial<HttpRequest> = {}): HttpRequest => ({
    host: HOST,
    address: '127.0.0.1',
    port: portOf(server),
    path: '/.well-known/mta-sts.txt',
    tls: server === https,
    verify: false,
    timeoutMs: 5_000,
    maxBodyBytes: 64 * 1024,
    ...overrides,
  });

  beforeAll(async () => {
    certificate = selfSigned({ subject: `/O=Example Test CA/CN=${HOST}`, extensions: [`subjectAltName=DNS:${HOST}`] });
    const answer = (_: unknown, res: import('node:http').ServerResponse) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(POLICY);
    };
    https = createHttpsServer({ cert: certificate.certificatePem, key: certificate.privateKeyPem }, answer);
    http = createHttpServer(answer);
    await Promise.all([https, http].map((server) => new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))));
  });

  afterAll(async () => {
    await Promise.all([https, http].map((server) => new Promise((done) => server.close(done))));
  });

  it('reads the policy and the presented certificate, trusted through the extra CA', async () => {
    const response = await client.request(request(https, { extraCa: certificate.certificatePem }));

    expect(response).toMatchObject({ status: 200, body: POLICY, truncated: false, tlsAuthorized: true });
    expect(response.headers['content-type']).toBe('text/plain');
    expect(response.tlsAuthorizationError).toBeUndefined();
    expect(response.peerCertificate).toEqual(describeCertificate(certificate.certificatePem));
  });

  it('still describes the certificate when the chain is not trusted, and says why', async () => {
    const response = await client.request(request(https));

    expect(response.status).toBe(200);
    expect(response.tlsAuthorized).toBe(false);
    expect(response.tlsAuthorizationError).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(response.peerCertificate).toEqual(describeCertificate(certificate.certificatePem));
  });

  it('reports a certificate for another name as not authorized', async () => {
    const response = await client.request(
      request(https, { host: 'mta-sts.example.org', extraCa: certificate.certificatePem }),
    );

    expect(response.tlsAuthorized).toBe(false);
    expect(response.tlsAuthorizationError).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(response.peerCertificate?.dnsNames).toEqual([HOST]);
  });

  it('refuses an untrusted certificate when asked to verify', async () => {
    await expect(client.request(request(https, { verify: true }))).rejects.toThrow(/self-signed certificate/);
  });

  it('answers plain HTTP without certificate facts', async () => {
    const response = await client.request(request(http));

    expect(response).toMatchObject({ status: 200, body: POLICY });
    expect(response.peerCertificate).toBeUndefined();
    expect(response.tlsAuthorized).toBeUndefined();
  });

  it('cuts off a body larger than allowed and says so', async () => {
    const response = await client.request(request(https, { maxBodyBytes: 10 }));

    expect(response.truncated).toBe(true);
    expect(response.body).toBe(POLICY.slice(0, 10));
  });
});
