import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { selfSigned } from './self-signed';
import { Service, freePort, tcpOpen, waitFor } from './processes';

/**
 * A private Dovecot IMAP server (Debian's dovecot-imapd) on 127.0.0.1: IMAP with STARTTLS
 * and IMAPS, one user whose mail is a Maildir, a self-signed certificate for 127.0.0.1.
 * Messages are delivered by dropping them into `Maildir/new`, as a local delivery agent does.
 */
export class Dovecot {
  private constructor(
    readonly dir: string,
    readonly imapPort: number,
    readonly imapsPort: number,
    readonly caPem: string,
    readonly caFile: string,
    private readonly service: Service,
    private readonly mailUid: number,
    private readonly mailGid: number,
  ) {}

  readonly user = 'reports';
  readonly password = 'imap-test-secret';

  static async start(): Promise<Dovecot> {
    const dir = mkdtempSync(join(tmpdir(), 'mta-sts-dovecot-'));
    // Auth runs as dovecot, login as dovenull and the mail process as nobody: they traverse it.
    chmodSync(dir, 0o711);
    const uid = Number(execFileSync('id', ['-u', 'nobody']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'nobody']).toString().trim());
    const home = join(dir, 'mail', 'reports');
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(home, 'Maildir', sub), { recursive: true });
    for (const path of [
      join(dir, 'mail'),
      home,
      join(home, 'Maildir'),
      ...['cur', 'new', 'tmp'].map((sub) => join(home, 'Maildir', sub)),
    ]) {
      chownSync(path, uid, gid);
    }
    writeFileSync(join(dir, 'passwd'), `reports:{PLAIN}imap-test-secret:${uid}:${gid}::${home}\n`, { mode: 0o644 });
    const certificate = selfSigned({
      subject: '/CN=127.0.0.1',
      extensions: ['subjectAltName=IP:127.0.0.1,DNS:localhost'],
      days: 2,
    });
    writeFileSync(join(dir, 'cert.pem'), certificate.certificatePem);
    writeFileSync(join(dir, 'key.pem'), certificate.privateKeyPem, { mode: 0o600 });
    const [imapPort, imapsPort] = [await freePort(), await freePort()];
    const config = join(dir, 'dovecot.conf');
    writeFileSync(
      config,
      [
        `instance_name = mta-sts-dovecot-${imapPort}`,
        'protocols = imap',
        'listen = 127.0.0.1',
        `base_dir = ${dir}/run`,
        `state_dir = ${dir}/state`,
        `log_path = ${dir}/dovecot.log`,
        `info_log_path = ${dir}/dovecot.log`,
        'ssl = yes',
        `ssl_cert = <${dir}/cert.pem`,
        `ssl_key = <${dir}/key.pem`,
        'disable_plaintext_auth = no',
        'auth_mechanisms = plain login',
        `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u ${dir}/passwd\n}`,
        `userdb {\n  driver = passwd-file\n  args = username_format=%u ${dir}/passwd\n}`,
        'mail_location = maildir:~/Maildir',
        `service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n    port = ${imapPort}\n  }\n  inet_listener imaps {\n    address = 127.0.0.1\n    port = ${imapsPort}\n    ssl = yes\n  }\n}`,
        '',
      ].join('\n'),
    );
    execFileSync('dovecot', ['-c', config, '-n'], { stdio: 'pipe' });
    const service = Service.start('dovecot', 'dovecot', ['-F', '-c', config], join(dir, 'stdout.log'));
    await waitFor('Dovecot to listen', () => tcpOpen('127.0.0.1', imapsPort), 10_000);
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, certificate.certificatePem);
    return new Dovecot(dir, imapPort, imapsPort, certificate.certificatePem, caFile, service, uid, gid);
  }

  private delivered = 0;

  /** Delivers a message into the user's INBOX. */
  deliver(message: string | Buffer): void {
    const name = `${Date.now()}.M${++this.delivered}P${process.pid}.mta-sts-test`;
    const tmp = join(this.dir, 'mail', 'reports', 'Maildir', 'tmp', name);
    writeFileSync(tmp, message);
    chownSync(tmp, this.mailUid, this.mailGid);
    execFileSync('mv', [tmp, join(this.dir, 'mail', 'reports', 'Maildir', 'new', name)]);
  }

  async stop(): Promise<void> {
    await this.service.stop();
    if (!process.env.KEEP_LAB) rmSync(this.dir, { recursive: true, force: true });
  }
}
