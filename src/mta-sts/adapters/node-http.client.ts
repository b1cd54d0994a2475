import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest, RequestOptions } from 'node:https';
import {
  checkServerIdentity,
  ConnectionOptions,
  createSecureContext,
  PeerCertificate,
  rootCertificates,
  SecureContext,
  TLSSocket,
} from 'node:tls';
import { describePeerCertificate } from '../domain/certificate';
import { HttpClient, HttpRequest, HttpResponse } from '../ports/http-client.port';

/** How the readiness checks name themselves; nginx leaves their policy fetches out of the fetch log. */
export const CHECKS_USER_AGENT = 'mta-sts-provisioner';

/** `node:http`/`node:https` behind the `HttpClient` port: one request, no redirects, no agent reuse. */
export class NodeHttpClient extends HttpClient {
  /**
   * Trust stores with an extra CA, built once: parsing the system roots for every request
   * costs tens of milliseconds of CPU, which a sweep over thousands of domains would pay.
   */
  private readonly contexts = new Map<string, SecureContext>();

  private secureContext(extraCa: string | undefined): SecureContext {
    const key = extraCa ?? '';
    let context = this.contexts.get(key);
    if (!context) {
      context = createSecureContext({
        ca: extraCa ? [...rootCertificates, extraCa] : undefined,
        minVersion: 'TLSv1.2',
      });
      this.contexts.set(key, context);
    }
    return context;
  }

  request(req: HttpRequest): Promise<HttpResponse> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      // node decodes the server's certificate to check its name; keep that rather than ask
      // for it again. It skips the name check when the chain already failed: then ask.
      let decoded: PeerCertificate | undefined;
      const common = {
        host: req.address,
        port: req.port,
        path: req.path,
        method: 'GET',
        headers: { Host: req.host, 'User-Agent': CHECKS_USER_AGENT, Accept: '*/*' },
        agent: false as const,
        timeout: req.timeoutMs,
      };
      const onResponse = (res: IncomingMessage) => {
        const socket = res.socket as TLSSocket;
        const peer = req.tls ? (decoded ?? socket.getPeerCertificate()) : undefined;
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        res.on('data', (chunk: Buffer) => {
          if (size + chunk.length > req.maxBodyBytes) {
            truncated = true;
            chunks.push(chunk.subarray(0, req.maxBodyBytes - size));
            size = req.maxBodyBytes;
            res.destroy();
            finish();
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          clearTimeout(deadline);
          const headers: Record<string, string | undefined> = {};
          for (const [key, value] of Object.entries(res.headers)) {
            headers[key] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers,
            body: Buffer.concat(chunks).toString('utf8'),
            truncated,
            peerCertificate: peer?.raw ? describePeerCertificate(peer) : undefined,
            tlsAuthorized: req.tls ? socket.authorized : undefined,
            tlsAuthorizationError: req.tls && socket.authorizationError ? String(socket.authorizationError) : undefined,
            elapsedMs: Date.now() - started,
          });
        };
        res.on('end', finish);
        res.on('error', (error) => {
          if (!done) reject(error);
        });
      };
      const tlsOptions: RequestOptions & ConnectionOptions = {
        ...common,
        servername: req.host,
        rejectUnauthorized: req.verify,
        secureContext: this.secureContext(req.extraCa),
        minVersion: 'TLSv1.2',
        checkServerIdentity: (host, certificate) => {
          decoded = certificate;
          return checkServerIdentity(host, certificate);
        },
      };
      const client = req.tls ? httpsRequest(tlsOptions, onResponse) : httpRequest(common, onResponse);
      // The socket timeout covers idle time; this covers the whole exchange.
      const deadline = setTimeout(() => {
        client.destroy(new Error(`no complete answer within ${req.timeoutMs} ms`));
      }, req.timeoutMs);
      client.on('timeout', () => client.destroy(new Error(`no answer within ${req.timeoutMs} ms`)));
      client.on('error', (error) => {
        clearTimeout(deadline);
        reject(error);
      });
      client.end();
    });
  }
}
