/**
 * One client process of the serving benchmark: full TLS handshakes (no session resumed),
 * each followed by one GET of the policy, `connections` at a time, across the given
 * hosts. Prints "ready", starts on a line on stdin, stops after `seconds`, then prints
 * `{"handshakes":n,"failures":n}`.
 *
 * As cheap as a Node client gets, so that nginx rather than the clients is the limit:
 * one secure context reused, no chain verified (the server's cost is the same either way).
 */
import { connect, createSecureContext } from 'node:tls';

const [address, port, seconds, connections, ...hosts] = process.argv.slice(2);
const context = createSecureContext({ minVersion: 'TLSv1.2' });

function exchange(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({
      host: address,
      port: Number(port),
      servername: host,
      secureContext: context,
      rejectUnauthorized: false,
    });
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('secureConnect', () => {
      socket.write(`GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(answer.startsWith('HTTP/1.1 200')));
  });
}

async function run(): Promise<void> {
  const deadline = Date.now() + Number(seconds) * 1000;
  let handshakes = 0;
  let failures = 0;
  let next = Math.floor(Math.random() * hosts.length);
  const worker = async () => {
    while (Date.now() < deadline) {
      const host = hosts[next++ % hosts.length];
      if (await exchange(host)) handshakes++;
      else failures++;
    }
  };
  await Promise.all(Array.from({ length: Number(connections) }, worker));
  process.stdout.write(`${JSON.stringify({ handshakes, failures })}\n`);
}

process.stdout.write('ready\n');
process.stdin.once('data', () => {
  run().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
