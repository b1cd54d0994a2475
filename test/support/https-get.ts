import { connect } from 'node:tls';

export interface HttpsAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * One GET over TLS with SNI to `address:port`, as a strict sender makes it (no redirects,
 * TLS 1.2 or later): trusting only `ca`, or with `ca` undefined checking nothing (for
 * timing, not trust).
 */
export function httpsGet(target: {
  readonly address: string;
  readonly port: number;
  readonly host: string;
  readonly path: string;
  readonly ca: string | undefined;
}): Promise<HttpsAnswer> {
  const { address, port, host, path, ca } = target;
  return new Promise((resolve, reject) => {
    const trust = ca === undefined ? { rejectUnauthorized: false } : { ca };
    const socket = connect({ host: address, port, servername: host, minVersion: 'TLSv1.2', ...trust }, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
    let raw = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error('timeout')));
    socket.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head, ...rest] = raw.split('\r\n\r\n');
      const [statusLine, ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const at = line.indexOf(':');
        headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
  });
}
