import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection, createServer } from 'node:net';
import { promisify } from 'node:util';

export const execFileAsync = promisify(execFile);

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A long-running service started by the lab, stopped by its own pid. */
export class Service {
  private exited = false;
  private exitInfo = '';

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    child.on('exit', (code, signal) => {
      this.exited = true;
      this.exitInfo = `exited with ${code ?? signal}`;
    });
  }

  /** `user`: run as that uid and gid (servers such as PostgreSQL refuse to run as root). */
  static start(
    name: string,
    command: string,
    args: string[],
    logFile: string,
    env?: NodeJS.ProcessEnv,
    user?: { readonly uid: number; readonly gid: number },
  ): Service {
    const log = createWriteStream(logFile, { flags: 'a' });
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, ...user });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return new Service(name, child, logFile);
  }

  get running(): boolean {
    return !this.exited;
  }

  describeExit(): string {
    return this.exitInfo;
  }

  /** Sends `signal`, and SIGKILL if the process is still there after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 3_000): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }
}

/** Polls `probe` until it returns true; fails after `timeoutMs` with `what` in the message. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (${String(lastError)})` : ''}`);
}

export function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Runs Debian's `mta-sts-query` (postfix-mta-sts-resolver) for `domain` in a private mount
 * namespace whose /etc/resolv.conf names `nameserver`, trusting only `caFile`. Needs root.
 */
export async function mtaStsQuery(domain: string, nameserver: string, caFile: string, dir: string): Promise<string> {
  const resolvConf = join(dir, 'resolv.conf');
  writeFileSync(resolvConf, `nameserver ${nameserver}\n`);
  const { stdout, stderr } = await execFileAsync(
    'unshare',
    ['-m', 'sh', '-c', 'mount --bind "$RESOLV" /etc/resolv.conf && exec mta-sts-query "$DOMAIN"'],
    { timeout: 30_000, env: { ...process.env, RESOLV: resolvConf, DOMAIN: domain, SSL_CERT_FILE: caFile } },
  );
  return `${stdout}${stderr}`;
}
