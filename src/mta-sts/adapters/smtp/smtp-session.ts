import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { SmtpReply, SmtpReplyReader } from './smtp-replies';

/** A server that does not answer QUIT promptly is not waited for: the probe already has its result. */
const QUIT_GRACE_MS = 1000;

export class TimedOut extends Error {}
export class ConnectionClosed extends Error {}

/** Reads replies from a socket as they complete; fails on close, socket error or bad bytes. */
export class ReplyChannel {
  private readonly reader = new SmtpReplyReader();
  private readonly replies: SmtpReply[] = [];
  private failure: Error | undefined;
  private waiter: { resolve: (reply: SmtpReply) => void; reject: (error: Error) => void } | undefined;

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  send(command: string): void {
    this.socket.write(`${command}\r\n`);
  }

  read(): Promise<SmtpReply> {
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.settle();
    });
  }

  /** Stops reading, before the socket is handed to TLS. */
  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('error', this.onError);
    this.socket.off('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    try {
      this.replies.push(...this.reader.push(chunk));
    } catch (error) {
      this.failure ??= error as Error;
      this.socket.destroy();
    }
    this.settle();
  };

  private readonly onError = (error: Error): void => {
    this.failure ??= error;
    this.settle();
  };

  private readonly onClose = (): void => {
    this.failure ??= new ConnectionClosed();
    this.settle();
  };

  private settle(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    const reply = this.replies.shift();
    if (reply) {
      this.waiter = undefined;
      waiter.resolve(reply);
    } else if (this.failure) {
      this.waiter = undefined;
      waiter.reject(this.failure);
    }
  }
}

/** One timer for the whole exchange with one address. */
export class Deadline {
  private readonly timer: NodeJS.Timeout;
  private readonly expired: Promise<never>;
  private readonly startedAt = performance.now();

  constructor(private readonly ms: number) {
    let expire: (error: Error) => void = () => undefined;
    this.expired = new Promise<never>((_, reject) => (expire = reject));
    this.expired.catch(() => undefined);
    this.timer = setTimeout(() => expire(new TimedOut()), ms);
  }

  get remainingMs(): number {
    return Math.max(0, this.ms - (performance.now() - this.startedAt));
  }

  race<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.expired]);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/** RFC 5321 §4.1.1.10: say goodbye and wait briefly for 221 rather than just hanging up. */
export async function quit(channel: ReplyChannel, deadline: Deadline): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    channel.send('QUIT');
    const grace = new Promise<void>(
      (resolve) => (timer = setTimeout(resolve, Math.min(QUIT_GRACE_MS, deadline.remainingMs))),
    );
    await Promise.race([channel.read(), grace]);
  } catch {
    // The result is known; a server that hangs up on QUIT changes nothing.
  } finally {
    clearTimeout(timer);
  }
}

export function connectTo(socket: Socket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.connect({ host: address, port }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

export function handshake(secure: TLSSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new ConnectionClosed());
    secure.once('error', reject);
    secure.once('close', onClose);
    secure.once('secureConnect', () => {
      secure.off('error', reject);
      secure.off('close', onClose);
      resolve();
    });
  });
}
