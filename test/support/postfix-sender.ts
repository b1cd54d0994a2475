import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Service, execFileAsync, freePort, tcpOpen, waitFor } from './processes';

/** One message in Postfix's queue, as `postqueue -j` reports it. */
export interface QueuedMessage {
  readonly queue_name: string;
  readonly queue_id: string;
  readonly recipients: ReadonlyArray<{ readonly address: string; readonly delay_reason?: string }>;
}

export interface PostfixSenderOptions {
  /** A directory of the test's own for the copies, the configuration and the logs. */
  readonly dir: string;
  /** The lab's DNS server, on port 53 (the system resolver cannot take another port). */
  readonly nameserver: string;
  /** What the policy fetches trust: the CA of the policy hosts' certificates. */
  readonly policyCaFile: string;
  /** What Postfix trusts for MX certificates (smtp_tls_CAfile). */
  readonly mxCaFile: string;
  /**
   * How long mta-sts-daemon answers from its cache without looking at DNS at all
   * (`cache_grace`, 60 s by default): a short one lets a test see it look again.
   */
  readonly cacheGraceSeconds?: number;
}

/**
 * A real sending MTA, as a provider such as a mail host runs it: Debian's Postfix with
 * postfix-mta-sts-resolver's `mta-sts-daemon` as its TLS policy map (socketmap). The
 * daemon caches each domain's policy under the `_mta-sts` id it saw and fetches the policy
 * again only when that id changes (RFC 8461 §5.1).
 *
 * Both run in a private mount namespace over private copies of `/etc/postfix`,
 * `/var/spool/postfix` and `/var/lib/postfix`, with a resolv.conf naming the lab's DNS,
 * so nothing of the machine's own mail system is touched. Needs root.
 */
export class PostfixSender {
  private constructor(
    private readonly anchor: Service,
    private readonly dir: string,
    readonly policyMapPort: number,
  ) {}

  static async start(options: PostfixSenderOptions): Promise<PostfixSender> {
    const { dir } = options;
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const etc = join(dir, 'etc');
    const spool = join(dir, 'spool');
    const lib = join(dir, 'lib');
    // Owners and modes matter to Postfix (postfix:postdrop queue directories).
    cpSync('/etc/postfix', etc, { recursive: true, preserveTimestamps: true });
    await execFileAsync('cp', ['-a', '/var/spool/postfix', spool]);
    await execFileAsync('cp', ['-a', '/var/lib/postfix', lib]);
    const port = await freePort();
    const resolvConf = join(dir, 'resolv.conf');
    writeFileSync(resolvConf, `nameserver ${options.nameserver}\n`);
    const daemonConfig = join(dir, 'mta-sts-daemon.yml');
    writeFileSync(
      daemonConfig,
      [
        'host: 127.0.0.1',
        `port: ${port}`,
        `cache_grace: ${options.cacheGraceSeconds ?? 60}`,
        'shutdown_timeout: 1',
        'default_zone:',
        '  strict_testing: false',
        '  timeout: 4',
        '',
      ].join('\n'),
    );
    const postconf = (...args: string[]) => execFileAsync('postconf', ['-c', etc, ...args]);
    await postconf(
      '-e',
      'myhostname = sender.test',
      'mydestination =',
      'relayhost =',
      'inet_interfaces = loopback-only',
      'compatibility_level = 3.6',
      `maillog_file_prefixes = ${dir}`,
      `maillog_file = ${join(dir, 'postfix.log')}`,
      'smtp_tls_security_level = may',
      `smtp_tls_CAfile = ${options.mxCaFile}`,
      'smtp_tls_loglevel = 1',
      `smtp_tls_policy_maps = socketmap:inet:127.0.0.1:${port}:postfix`,
      // Deferred mail is retried within seconds, not minutes.
      'queue_run_delay = 1s',
      'minimal_backoff_time = 1s',
      'maximal_backoff_time = 2s',
    );
    // No chroot (it would need its own copy of resolv.conf), and no listening smtpd.
    await postconf('-F', '*/*/chroot = n');
    await postconf('-MX', 'smtp/inet');

    const script = [
      'set -e',
      'mount --bind "$PF_DIR/etc" /etc/postfix',
      'mount --bind "$PF_DIR/spool" /var/spool/postfix',
      'mount --bind "$PF_DIR/lib" /var/lib/postfix',
      'mount --bind "$PF_DIR/resolv.conf" /etc/resolv.conf',
      'mta-sts-daemon -c "$PF_DIR/mta-sts-daemon.yml" -v debug -l "$PF_DIR/mta-sts-daemon.log" &',
      'echo $! > "$PF_DIR/mta-sts-daemon.pid"',
      'postfix start',
      'exec sleep 3600',
    ].join('\n');
    const anchor = Service.start(
      'postfix sender',
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', script],
      join(dir, 'namespace.log'),
      { PF_DIR: dir, SSL_CERT_FILE: options.policyCaFile },
    );
    const sender = new PostfixSender(anchor, dir, port);
    try {
      await waitFor(
        'mta-sts-daemon and Postfix to start',
        async () => {
          if (!anchor.running) throw new Error(`${anchor.describeExit()}: ${readFileSync(anchor.logFile, 'utf8')}`);
          return (await tcpOpen('127.0.0.1', port)) && existsSync(join(spool, 'pid', 'master.pid'));
        },
        20_000,
      );
    } catch (error) {
      await sender.stop();
      throw error;
    }
    return sender;
  }

  /** Runs a command inside the sender's mount namespace. */
  private inside(command: string, args: string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn('nsenter', ['-t', String(this.anchor.child.pid), '-m', '--', command, ...args]);
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(output);
        else reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${output}`));
      });
      // A command that reads no input may exit before taking it.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input ?? '');
    });
  }

  /** Hands a message to Postfix, as a local program would (sendmail). */
  async send(from: string, to: string, subject: string): Promise<void> {
    const message = `From: <${from}>\r\nTo: <${to}>\r\nSubject: ${subject}\r\n\r\n${subject}\r\n`;
    await this.inside('/usr/sbin/sendmail', ['-f', from, '--', to], message);
  }

  /** The messages still in Postfix's queue. */
  async queue(): Promise<QueuedMessage[]> {
    const output = await this.inside('postqueue', ['-j']);
    return output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as QueuedMessage);
  }

  /** Asks Postfix to retry every deferred message now. */
  async flush(): Promise<void> {
    await this.inside('postqueue', ['-f']);
  }

  /** What mta-sts-daemon tells Postfix for `domain` (Postfix's own `postmap -q` asks). */
  async policyFor(domain: string): Promise<string> {
    const answer = await this.inside('postmap', [
      '-q',
      domain,
      `socketmap:inet:127.0.0.1:${this.policyMapPort}:postfix`,
    ]).catch((error: Error) => (/exited with 1:/.test(error.message) ? 'NOTFOUND' : Promise.reject(error)));
    return answer.trim() || 'NOTFOUND';
  }

  /** Postfix's own log, for failure messages. */
  log(): string {
    const file = join(this.dir, 'postfix.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  async stop(): Promise<void> {
    if (this.anchor.running) {
      await this.inside('postfix', ['stop']).catch(() => undefined);
      const pidFile = join(this.dir, 'mta-sts-daemon.pid');
      if (existsSync(pidFile)) {
        try {
          process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
        } catch {
          // already gone
        }
      }
    }
    await this.anchor.stop();
  }
}
