import { AddressInfo, createServer, Server, Socket } from 'node:net';
import type { SecureVersion } from 'node:tls';
import { SMTPServer } from 'smtp-server';

/** Where to listen: 127.0.0.1 and a random port unless a test needs a second address. */
export interface ListenOn {
  readonly host?: string;
  readonly port?: number;
}

export interface LoopbackSmtpServerOptions extends ListenOn {
  /** Leaf then chain (PEM); without it the server has no certificate of its own to offer. */
  readonly certificatePem?: string;
  readonly privateKeyPem?: string;
  /** Leave `STARTTLS` out of the EHLO reply. */
  readonly hideSTARTTLS?: boolean;
  readonly minTlsVersion?: SecureVersion;
  readonly maxTlsVersion?: SecureVersion;
  /** Text after `220 <name> ESMTP`. */
  readonly banner?: string;
  /** Refuse every connection with this code instead of the 220 greeting, e.g. 554. */
  readonly refuseWith?: { readonly code: number; readonly message: string };
}

export interface ReceivedMessage {
  readonly from: string;
  readonly to: readonly string[];
  /** Whether the message came over a STARTTLS connection. */
  readonly secure: boolean;
  readonly data: string;
}

export interface LoopbackSmtpServer {
  readonly port: number;
  /** Every message accepted, in order. */
  readonly received: readonly ReceivedMessage[];
  stop(): Promise<void>;
}

/** A real SMTP server (the `smtp-server` package) on 127.0.0.1 and a random port. */
export async function startSmtpServer(options: LoopbackSmtpServerOptions = {}): Promise<LoopbackSmtpServer> {
  // smtp-server copies every key over its defaults, so an undefined one would erase a default.
  const tls = Object.fromEntries(
    Object.entries({
      key: options.privateKeyPem,
      cert: options.certificatePem,
      minVersion: options.minTlsVersion ?? 'TLSv1.2',
      maxVersion: options.maxTlsVersion,
    }).filter(([, value]) => value !== undefined),
  );
  const received: ReceivedMessage[] = [];
  const server = new SMTPServer({
    ...tls,
    name: 'mx1.example.com',
    banner: options.banner,
    hideSTARTTLS: options.hideSTARTTLS,
    disableReverseLookup: true,
    authOptional: true,
    logger: false,
    closeTimeout: 500,
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          secure: session.secure,
          data,
        });
        callback();
      });
    },
    onConnect(_session, callback) {
      if (!options.refuseWith) return callback();
      callback(Object.assign(new Error(options.refuseWith.message), { responseCode: options.refuseWith.code }));
    },
  });
  // Failed handshakes are what some tests are about; they must not end the test run.
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ScriptedSmtpServerOptions extends ListenOn {
  /** Sent on connect, as separate TCP writes; none: a server that never says anything. */
  readonly greeting?: readonly string[];
  /** What to send for each command verb (`EHLO`, `STARTTLS`, `QUIT`), as separate writes. */
  readonly answers?: Readonly<Record<string, readonly string[]>>;
  /** Close the connection right after answering this verb. */
  readonly closeAfter?: string;
}

export interface ScriptedSmtpServer {
  readonly port: number;
  /** Every command line received, in order, over all connections. */
  readonly commands: string[];
  stop(): Promise<void>;
}

/**
 * A raw TCP server that plays a fixed script byte for byte: for what a well-behaved
 * server never does (silence, a refused STARTTLS, replies split mid-line, huge lines).
 */
export async function startScriptedSmtpServer(options: ScriptedSmtpServerOptions): Promise<ScriptedSmtpServer> {
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    let queue = Promise.resolve();
    const play = (chunks: readonly string[] | undefined, close: boolean) => {
      queue = queue.then(async () => {
        for (const chunk of chunks ?? []) {
          if (socket.destroyed) return;
          socket.write(chunk);
          // Separate writes, separate segments: the reader must put them back together.
          await new Promise((resolve) => setTimeout(resolve, 15));
        }
        if (close) socket.end();
      });
    };
    play(options.greeting, false);
    let buffered = '';
    socket.on('data', (data) => {
      buffered += data.toString('latin1');
      for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        commands.push(line);
        const verb = line.split(' ')[0].toUpperCase();
        play(options.answers?.[verb] ?? ['502 5.5.2 Command not recognized\r\n'], verb === options.closeAfter);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    commands,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
