import { once } from 'node:events';
import { createServer, Server } from 'node:https';
import { AddressInfo } from 'node:net';
import * as acme from 'acme-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeClientCertificateAuthority } from '../../src/mta-sts/adapters/acme/acme-client.certificate-authority';
import { FileStore } from '../../src/mta-sts/ports/file-store.port';
import { selfSigned } from '../support/self-signed';

describe('connections to a certificate authority with its own root (a private CA, Pebble)', () => {
  let server: Server;
  let url: string;
  let handshakes = 0;
  let certificatePem: string;

  beforeAll(async () => {
    const certificate = selfSigned({ subject: '/CN=localhost', extensions: ['subjectAltName=DNS:localhost'] });
    certificatePem = certificate.certificatePem;
    server = createServer(
      { cert: certificate.certificatePem, key: certificate.privateKeyPem },
      (_request, response) => {
        response.setHeader('Content-Type', 'application/json');
        response.end('{}');
      },
    );
    server.on('secureConnection', () => handshakes++);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `https://localhost:${(server.address() as AddressInfo).port}/directory`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  it("are kept open between an order's requests, as Node's global agent keeps those to a public CA", async () => {
    new AcmeClientCertificateAuthority(
      { directoryUrl: url, extraCaPem: certificatePem, accountDir: '/nonexistent', requestTimeoutMs: 5_000 },
      {} as FileStore,
    );
    for (let request = 0; request < 4; request++) {
      const answer = await acme.axios.get(url);
      expect(answer.status).toBe(200);
    }
    // One TLS handshake for four requests: a new connection each would be four.
    expect(handshakes).toBe(1);
  });
});
