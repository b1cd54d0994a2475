import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FsFileStore } from '../../src/mta-sts/adapters/fs.file-store';
import {
  DEFAULTS_FILE_NAME,
  SHARED_FILE_NAME,
  renderDefaultsConfig,
  renderSharedConfig,
  renderSiteConfig,
} from '../../src/mta-sts/adapters/nginx/nginx-config';
import { NginxOptions, NginxWebServer } from '../../src/mta-sts/adapters/nginx/nginx.web-server';
import { OperationFailedError } from '../../src/mta-sts/domain/errors';
import { FileOwner, PolicySite, ProcessResult, ProcessRunner } from '../../src/mta-sts/ports';
import { selfSigned } from '../support/self-signed';

const BIN = '/usr/sbin/nginx';
const TIMEOUT = 5_000;

interface Step {
  /** The nginx arguments after the configured prefix, e.g. `['-t']`. */
  readonly args: readonly string[];
  readonly result?: Partial<ProcessResult>;
  /** Holds the call open until this promise settles. */
  readonly gate?: Promise<void>;
  /** Runs when the call arrives, before it answers (e.g. to let nginx replace its workers). */
  readonly onCall?: () => void;
}

interface Call {
  readonly command: string;
  readonly args: readonly string[];
  readonly timeoutMs: number;
  /** The files in the sites directory at the moment of the call. */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * A ProcessRunner that plays a script: each call must be the next expected nginx call,
 * anything else is recorded as unexpected and fails the test in `afterEach`.
 */
class ScriptedNginx extends ProcessRunner {
  readonly calls: Call[] = [];
  readonly unexpected: string[] = [];
  private readonly script: Step[] = [];
  private readonly waiters: { count: number; resolve: () => void }[] = [];

  constructor(
    private readonly prefix: readonly string[],
    private readonly sitesDir: string,
  ) {
    super();
  }

  expectCalls(...steps: Step[]): void {
    this.script.push(...steps);
  }

  async run(command: string, args: readonly string[], timeoutMs: number): Promise<ProcessResult> {
    this.calls.push({ command, args: [...args], timeoutMs, files: snapshot(this.sitesDir) });
    for (const waiter of this.waiters.filter((w) => w.count <= this.calls.length)) waiter.resolve();
    const step = this.script.shift();
    const wanted = step ? [...this.prefix, ...step.args] : undefined;
    if (!step || command !== BIN || JSON.stringify(args) !== JSON.stringify(wanted)) {
      const message = `unexpected call: ${command} ${args.join(' ')}`;
      this.unexpected.push(message);
      throw new Error(message);
    }
    step.onCall?.();
    if (step.gate) await step.gate;
    return { code: 0, stdout: '', stderr: '', ...step.result };
  }

  /** Resolves once `count` calls have been made. */
  callsMade(count: number): Promise<void> {
    if (this.calls.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** The arguments of each call, without the configured prefix. */
  argsSeen(): string[][] {
    return this.calls.map((call) => call.args.slice(this.prefix.length));
  }

  verify(): void {
    expect(this.unexpected).toEqual([]);
    expect(this.script.map((step) => step.args.join(' '))).toEqual([]);
  }
}

function snapshot(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {};
  return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

const TEST = { args: ['-t'] } as const;
const RELOAD = { args: ['-s', 'reload'] } as const;
const failed = (stderr: string): Partial<ProcessResult> => ({ code: 1, stderr });

let root: string;
let sitesDir: string;
let options: NginxOptions;
let nginx: ScriptedNginx;
let server: NginxWebServer;

function siteFor(domain: string, tls = false): PolicySite {
  return {
    host: `mta-sts.${domain}`,
    policyFile: join(root, 'policies', `${domain}.txt`),
    acmeWebroot: join(root, 'webroot'),
    ...(tls
      ? {
          tls: { bundleFile: join(root, 'certs', domain, 'certificate.pem') },
        }
      : {}),
  };
}

const site = () => siteFor('example.com');
const sitePath = () => join(sitesDir, 'mta-sts.example.com.conf');
const defaultsPath = () => join(sitesDir, DEFAULTS_FILE_NAME);

async function rejection(promise: Promise<unknown>): Promise<OperationFailedError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OperationFailedError) return error;
    throw new Error(`expected OperationFailedError, got ${String(error)}`);
  }
  throw new Error('expected the operation to fail');
}

/**
 * The real file store, except that reads under /proc come from a map: it stands in for
 * the nginx master's children and their command lines.
 */
class FakeProcFiles extends FsFileStore {
  readonly proc = new Map<string, string>();
  readonly procReads: string[] = [];

  async read(path: string): Promise<string | undefined> {
    if (!path.startsWith('/proc/')) return super.read(path);
    this.procReads.push(path);
    return this.proc.get(path);
  }

  /** nginx master 4242 with these children (`pid` -> command line). */
  setWorkers(children: Record<string, string>): void {
    this.proc.clear();
    this.proc.set('/proc/4242/task/4242/children', `${Object.keys(children).join(' ')} `);
    for (const [pid, cmdline] of Object.entries(children)) this.proc.set(`/proc/${pid}/cmdline`, `${cmdline}\0`);
  }
}

/** Applies the site with a passing test and reload, then forgets those calls. */
async function applied(policySite: PolicySite): Promise<void> {
  nginx.expectCalls(TEST, RELOAD);
  await server.applySite(policySite);
  nginx.calls.length = 0;
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mta-sts-nginx-'));
  sitesDir = join(root, 'conf.d');
  options = {
    bin: BIN,
    args: ['-p', join(root, 'prefix'), '-c', join(root, 'prefix', 'nginx.conf')],
    sitesDir,
    // No nginx master runs in these tests: a missing pid file means "do not wait for workers".
    pidFile: join(root, 'nginx.pid'),
    commandTimeoutMs: TIMEOUT,
    httpListen: ['80', '[::]:80'],
    httpsListen: ['443', '[::]:443'],
    rejectUnknownSni: true,
    serverNamesHashBucketSize: 128,
    layout: 'per-domain',
    paths: {
      servedDir: join(root, 'served'),
      policiesDir: join(root, 'policies'),
      acmeWebroot: join(root, 'webroot'),
      certificatesDir: join(root, 'certs'),
    },
  };
  nginx = new ScriptedNginx(options.args, sitesDir);
  server = new NginxWebServer(options, new FsFileStore(), nginx);
});

afterEach(() => {
  nginx.verify();
  rmSync(root, { recursive: true, force: true });
});

describe('NginxWebServer.applySite', () => {
  it('writes the site file and the defaults file, then tests, then reloads', async () => {
    nginx.expectCalls(TEST, RELOAD);
    await server.applySite(site());

    expect(readdirSync(sitesDir).sort()).toEqual([DEFAULTS_FILE_NAME, 'mta-sts.example.com.conf']);
    expect(readFileSync(sitePath(), 'utf8')).toBe(renderSiteConfig(site(), options));
    expect(readFileSync(defaultsPath(), 'utf8')).toBe(renderDefaultsConfig(options));
    expect(statSync(sitePath()).mode & 0o777).toBe(0o644);
    expect(statSync(defaultsPath()).mode & 0o777).toBe(0o644);
  });

  it('calls nginx with the configured program, argument prefix and time limit', async () => {
    nginx.expectCalls(TEST, RELOAD);
    await server.applySite(site());
    expect(nginx.calls.map(({ command, args, timeoutMs }) => ({ command, args, timeoutMs }))).toEqual([
      { command: BIN, args: [...options.args, '-t'], timeoutMs: TIMEOUT },
      { command: BIN, args: [...options.args, '-s', 'reload'], timeoutMs: TIMEOUT },
    ]);
  });

  it('has both files on disk when nginx -t runs', async () => {
    nginx.expectCalls(TEST, RELOAD);
    await server.applySite(site());
    expect(Object.keys(nginx.calls[0].files).sort()).toEqual([DEFAULTS_FILE_NAME, 'mta-sts.example.com.conf']);
    expect(nginx.calls[0].files['mta-sts.example.com.conf']).toBe(renderSiteConfig(site(), options));
  });

  it('runs no nginx command when the same site is applied again', async () => {
    await applied(site());
    const before = snapshot(sitesDir);
    await server.applySite(site());
    expect(nginx.calls).toEqual([]);
    expect(snapshot(sitesDir)).toEqual(before);
  });

  it('rewrites only the site file when the site gains a certificate', async () => {
    await applied(site());
    const defaults = readFileSync(defaultsPath(), 'utf8');
    nginx.expectCalls(TEST, RELOAD);
    await server.applySite(siteFor('example.com', true));
    expect(readFileSync(sitePath(), 'utf8')).toBe(renderSiteConfig(siteFor('example.com', true), options));
    expect(readFileSync(sitePath(), 'utf8')).toContain('ssl_certificate ');
    expect(readFileSync(defaultsPath(), 'utf8')).toBe(defaults);
  });

  it('rewrites the defaults file when its settings change, even for an unchanged site', async () => {
    await applied(site());
    const relaxed = new NginxWebServer({ ...options, rejectUnknownSni: false }, new FsFileStore(), nginx);
    nginx.expectCalls(TEST, RELOAD);
    await relaxed.applySite(site());
    expect(readFileSync(defaultsPath(), 'utf8')).not.toContain('ssl_reject_handshake');
  });

  it('keeps several sites side by side', async () => {
    await applied(site());
    await applied(siteFor('example.net'));
    expect(readdirSync(sitesDir).sort()).toEqual([
      DEFAULTS_FILE_NAME,
      'mta-sts.example.com.conf',
      'mta-sts.example.net.conf',
    ]);
  });

  it('restores the previous site file exactly when nginx -t fails, and reports the stderr', async () => {
    await applied(site());
    const before = snapshot(sitesDir);
    const stderr = 'nginx: [emerg] cannot load certificate "/x/fullchain.pem"\nnginx: configuration file test failed\n';
    nginx.expectCalls({ ...TEST, result: failed(stderr) }, RELOAD);

    const error = await rejection(server.applySite(siteFor('example.com', true)));

    expect(error.kind).toBe('failed');
    expect(error.message).toContain('nginx -t failed');
    expect(error.message).toContain('previous configuration is still serving');
    expect(error.detail).toBe(stderr);
    expect(snapshot(sitesDir)).toEqual(before);
    // The new file was on disk while nginx tested it, and gone again before the reload.
    expect(nginx.calls[0].files['mta-sts.example.com.conf']).toContain('ssl_certificate ');
    expect(nginx.calls[1].files).toEqual(before);
    expect(nginx.argsSeen()).toEqual([['-t'], ['-s', 'reload']]);
  });

  it('removes a new site file, and a new defaults file, when nginx -t fails', async () => {
    nginx.expectCalls({ ...TEST, result: failed('nginx: [emerg] bad\n') }, RELOAD);
    const error = await rejection(server.applySite(site()));
    expect(error.detail).toBe('nginx: [emerg] bad\n');
    expect(readdirSync(sitesDir)).toEqual([]);
  });

  it('removes only the new site file when nginx -t fails and other sites exist', async () => {
    await applied(siteFor('example.net'));
    const before = snapshot(sitesDir);
    nginx.expectCalls({ ...TEST, result: failed('nginx: [emerg] bad\n') }, RELOAD);
    await rejection(server.applySite(site()));
    expect(existsSync(sitePath())).toBe(false);
    expect(snapshot(sitesDir)).toEqual(before);
  });

  it('restores the files and reloads again when the reload fails', async () => {
    await applied(site());
    const before = snapshot(sitesDir);
    const stderr = 'nginx: [alert] kill(1234, 1) failed (1: Operation not permitted)\n';
    nginx.expectCalls(TEST, { ...RELOAD, result: failed(stderr) }, RELOAD);

    const error = await rejection(server.applySite(siteFor('example.com', true)));

    expect(error.message).toBe('nginx could not reload; the previous configuration is still serving.');
    expect(error.detail).toBe(stderr);
    expect(snapshot(sitesDir)).toEqual(before);
    expect(nginx.argsSeen()).toEqual([['-t'], ['-s', 'reload'], ['-s', 'reload']]);
    expect(nginx.calls[2].files).toEqual(before);
  });

  it('says nginx is not running when the reload cannot find its pid', async () => {
    const stderr = 'nginx: [error] open() "/run/nginx.pid" failed (2: No such file or directory)\n';
    nginx.expectCalls(TEST, { ...RELOAD, result: failed(stderr) }, { ...RELOAD, result: failed(stderr) });
    const error = await rejection(server.applySite(site()));
    expect(error.message).toMatch(/^nginx is not running/);
    expect(error.detail).toBe(stderr);
    expect(readdirSync(sitesDir)).toEqual([]);
  });

  it('treats a killed nginx -t (no exit code) as a failure', async () => {
    nginx.expectCalls({ ...TEST, result: { code: null, stderr: 'timed out' } }, RELOAD);
    const error = await rejection(server.applySite(site()));
    expect(error.detail).toBe('timed out');
    expect(readdirSync(sitesDir)).toEqual([]);
  });

  it('leaves no temporary files in the sites directory', async () => {
    await applied(site());
    nginx.expectCalls({ ...TEST, result: failed('bad') }, RELOAD);
    await rejection(server.applySite(siteFor('example.com', true)));
    expect(readdirSync(sitesDir).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('runs one apply at a time, so concurrent applies never see each other half done', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    nginx.expectCalls({ ...TEST, gate }, RELOAD, TEST, RELOAD);

    const first = server.applySite(site());
    const second = server.applySite(siteFor('example.net'));
    await nginx.callsMade(1);
    expect(Object.keys(nginx.calls[0].files)).not.toContain('mta-sts.example.net.conf');
    release();
    await Promise.all([first, second]);

    expect(nginx.argsSeen()).toEqual([['-t'], ['-s', 'reload'], ['-t'], ['-s', 'reload']]);
    expect(Object.keys(nginx.calls[2].files).sort()).toEqual([
      DEFAULTS_FILE_NAME,
      'mta-sts.example.com.conf',
      'mta-sts.example.net.conf',
    ]);
  });

  it('still applies the next site after a failed one', async () => {
    nginx.expectCalls({ ...TEST, result: failed('bad') }, RELOAD, TEST, RELOAD);
    const failing = server.applySite(site());
    const next = server.applySite(siteFor('example.net'));
    await rejection(failing);
    await next;
    expect(readdirSync(sitesDir).sort()).toEqual([DEFAULTS_FILE_NAME, 'mta-sts.example.net.conf']);
  });
});

describe('NginxWebServer reload settling', () => {
  let files: FakeProcFiles;

  beforeEach(() => {
    writeFileSync(options.pidFile, '4242\n');
    files = new FakeProcFiles();
    server = new NginxWebServer(options, files, nginx);
  });

  it('reads the workers of the master named in the pid file before and after the reload', async () => {
    files.setWorkers({ '100': 'nginx: worker process', '101': 'nginx: cache manager process' });
    nginx.expectCalls(TEST, { ...RELOAD, onCall: () => files.setWorkers({ '200': 'nginx: worker process' }) });
    await server.applySite(site());
    expect(files.procReads).toEqual([
      '/proc/4242/task/4242/children',
      '/proc/100/cmdline',
      '/proc/101/cmdline',
      '/proc/4242/task/4242/children',
      '/proc/200/cmdline',
    ]);
  });

  it('does not count an old worker that is shutting down as still serving', async () => {
    files.setWorkers({ '100': 'nginx: worker process' });
    nginx.expectCalls(TEST, {
      ...RELOAD,
      onCall: () =>
        files.setWorkers({ '100': 'nginx: worker process is shutting down', '200': 'nginx: worker process' }),
    });
    await server.applySite(site());
    // One look after the reload was enough: no polling round followed.
    expect(files.procReads.filter((path) => path.endsWith('/children'))).toHaveLength(2);
  });

  it('does not wait when the pid file names no running master', async () => {
    nginx.expectCalls(TEST, RELOAD);
    await server.applySite(site());
    expect(files.procReads).toEqual(['/proc/4242/task/4242/children']);
  });

  it('does not look for workers when the pid file holds no pid', async () => {
    writeFileSync(options.pidFile, 'not a pid\n');
    nginx.expectCalls(TEST, RELOAD);
    await server.applySite(site());
    expect(files.procReads).toEqual([]);
  });
});

describe('NginxWebServer.removeSite', () => {
  it('deletes the site file, tests and reloads, and keeps the defaults file', async () => {
    await applied(site());
    nginx.expectCalls(TEST, RELOAD);
    await server.removeSite('mta-sts.example.com');
    expect(readdirSync(sitesDir)).toEqual([DEFAULTS_FILE_NAME]);
    expect(nginx.argsSeen()).toEqual([['-t'], ['-s', 'reload']]);
    expect(Object.keys(nginx.calls[1].files)).toEqual([DEFAULTS_FILE_NAME]);
  });

  it('does nothing when the site is absent', async () => {
    await server.removeSite('mta-sts.example.com');
    expect(nginx.calls).toEqual([]);
    await applied(siteFor('example.net'));
    const before = snapshot(sitesDir);
    await server.removeSite('mta-sts.example.com');
    expect(nginx.calls).toEqual([]);
    expect(snapshot(sitesDir)).toEqual(before);
  });

  it('puts the site file back when nginx -t fails after the removal', async () => {
    await applied(site());
    const before = snapshot(sitesDir);
    nginx.expectCalls({ ...TEST, result: failed('nginx: [emerg] bad\n') }, RELOAD);
    const error = await rejection(server.removeSite('mta-sts.example.com'));
    expect(error.detail).toBe('nginx: [emerg] bad\n');
    expect(snapshot(sitesDir)).toEqual(before);
  });
});

describe('NginxWebServer in the shared layout', () => {
  /** As root, nginx's usual worker user; otherwise this process's own (chown to another needs root). */
  const worker: FileOwner =
    process.getuid!() === 0 ? { uid: 65534, gid: 65534 } : { uid: process.getuid!(), gid: process.getgid!() };
  let shared: NginxOptions;

  const bundleOf = (domain: string) => join(root, 'certs', domain, 'certificate.pem');
  const linkOf = (domain: string) => join(root, 'served', `mta-sts.${domain}.pem`);
  const sharedPath = () => join(sitesDir, SHARED_FILE_NAME);
  const modeOf = (path: string) => statSync(path).mode & 0o777;
  const links = () => (existsSync(join(root, 'served')) ? readdirSync(join(root, 'served')).sort() : []);

  function bundleText(domain: string): string {
    const pair = selfSigned({ subject: `/CN=mta-sts.${domain}`, extensions: [`subjectAltName=DNS:mta-sts.${domain}`] });
    return `${pair.certificatePem.trim()}\n${pair.privateKeyPem.trim()}\n`;
  }

  /** A bundle as the per-domain layout leaves it: this process's, 0600, in a 0700 directory. */
  function writeBundle(domain: string, text = bundleText(domain)): string {
    mkdirSync(dirname(bundleOf(domain)), { recursive: true, mode: 0o700 });
    const temp = `${bundleOf(domain)}.new`;
    writeFileSync(temp, text, { mode: 0o600 });
    renameSync(temp, bundleOf(domain));
    return text;
  }

  function sharedServer(overrides: Partial<NginxOptions> = {}): NginxWebServer {
    return new NginxWebServer({ ...shared, ...overrides }, new FsFileStore(), nginx);
  }

  beforeEach(() => {
    shared = { ...options, layout: 'shared', workerOwner: worker };
    server = sharedServer();
    for (const domain of ['example.com', 'example.net']) writeBundle(domain);
  });

  it('writes the shared file and the defaults file on the first apply, then tests and reloads', async () => {
    nginx.expectCalls(TEST, RELOAD);
    await server.applySite(siteFor('example.com', true));

    expect(readdirSync(sitesDir).sort()).toEqual([DEFAULTS_FILE_NAME, SHARED_FILE_NAME]);
    expect(readFileSync(sharedPath(), 'utf8')).toBe(
      renderSharedConfig({
        ...shared,
        servedDir: join(root, 'served'),
        policiesDir: join(root, 'policies'),
        acmeWebroot: join(root, 'webroot'),
      }),
    );
    expect(readFileSync(defaultsPath(), 'utf8')).toBe(renderDefaultsConfig(shared));
    expect(nginx.calls[0].files[SHARED_FILE_NAME]).toContain('ssl_certificate ');
  });

  it('serves a host over HTTPS through a link to its bundle, given to the worker user', async () => {
    nginx.expectCalls(TEST, RELOAD);
    await server.applySite(siteFor('example.com', true));

    expect(lstatSync(linkOf('example.com')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(linkOf('example.com'))).toBe(bundleOf('example.com'));
    const bundle = statSync(bundleOf('example.com'));
    expect({ uid: bundle.uid, gid: bundle.gid, mode: bundle.mode & 0o777 }).toEqual({ ...worker, mode: 0o600 });
    // The worker traverses to the bundle but cannot list the directories on the way.
    expect(modeOf(join(root, 'served'))).toBe(0o711);
    expect(modeOf(join(root, 'certs'))).toBe(0o711);
    expect(modeOf(join(root, 'certs', 'example.com'))).toBe(0o711);
  });

  it('enables, disables and re-enables hosts after the first apply without any nginx call', async () => {
    await applied(siteFor('example.com', true));
    const config = snapshot(sitesDir);

    await server.applySite(siteFor('example.net', true));
    expect(links()).toEqual(['mta-sts.example.com.pem', 'mta-sts.example.net.pem']);
    await server.removeSite('mta-sts.example.com');
    expect(links()).toEqual(['mta-sts.example.net.pem']);
    await server.applySite(siteFor('example.com', true));
    expect(links()).toEqual(['mta-sts.example.com.pem', 'mta-sts.example.net.pem']);

    expect(nginx.calls).toEqual([]);
    expect(snapshot(sitesDir)).toEqual(config);
  });

  it('applies a host without a certificate (the port 80 step of Enable) without a link, and drops an old one', async () => {
    await applied(siteFor('example.com', true));
    await server.applySite(siteFor('example.net'));
    expect(links()).toEqual(['mta-sts.example.com.pem']);
    await server.applySite(siteFor('example.com'));
    expect(links()).toEqual([]);
    expect(nginx.calls).toEqual([]);
  });

  it('serves a renewed bundle through the same link: reload() makes no nginx call', async () => {
    await applied(siteFor('example.com', true));
    const renewed = bundleText('example.com');
    await new FsFileStore().writeAtomic(bundleOf('example.com'), renewed, 0o600, worker);

    await server.reload();

    expect(nginx.calls).toEqual([]);
    expect(readFileSync(linkOf('example.com'), 'utf8')).toBe(renewed);
  });

  it('gives a bundle rewritten by someone else back to the worker user on reload()', async () => {
    await applied(siteFor('example.com', true));
    writeBundle('example.com');
    await server.reload();
    const bundle = statSync(bundleOf('example.com'));
    expect({ uid: bundle.uid, gid: bundle.gid, mode: bundle.mode & 0o777 }).toEqual({ ...worker, mode: 0o600 });
    expect(nginx.calls).toEqual([]);
  });

  it('refuses a renewed bundle nginx could not load, so the renewal can put the previous one back', async () => {
    await applied(siteFor('example.com', true));
    const other = bundleText('example.net');
    const mismatched =
      bundleText('example.com').replace(/-----BEGIN PRIVATE KEY-----[\s\S]+$/, '') +
      other.slice(other.indexOf('-----BEGIN PRIVATE KEY-----'));
    writeBundle('example.com', mismatched);

    const error = await rejection(server.reload());

    expect(error.message).toMatch(
      /^The new certificate of mta-sts\.example\.com cannot be served: the private key does not belong/,
    );
    expect(nginx.calls).toEqual([]);
  });

  it('refuses to link a bundle without a key, before any nginx call', async () => {
    writeBundle('example.com', bundleText('example.com').replace(/-----BEGIN PRIVATE KEY-----[\s\S]+$/, ''));
    const error = await rejection(server.applySite(siteFor('example.com', true)));
    expect(error.message).toBe(
      'The certificate of mta-sts.example.com cannot be served: it holds no private key. Re-issue the certificate.',
    );
    expect(links()).toEqual([]);
    expect(nginx.calls).toEqual([]);
  });

  it('refuses a site whose policy file is not where the shared file looks for it', async () => {
    const elsewhere = { ...siteFor('example.com', true), policyFile: join(root, 'elsewhere', 'example.com.txt') };
    const error = await rejection(server.applySite(elsewhere));
    expect(error.message).toMatch(/only from the module's data directory/);
    expect(nginx.calls).toEqual([]);
    expect(links()).toEqual([]);
  });

  it('removes the new files and the new link when nginx -t fails on the first apply', async () => {
    nginx.expectCalls({ ...TEST, result: failed('nginx: [emerg] unknown "ssl_server_name" variable\n') }, RELOAD);
    const error = await rejection(server.applySite(siteFor('example.com', true)));
    expect(error.detail).toBe('nginx: [emerg] unknown "ssl_server_name" variable\n');
    // The link was in place while nginx tested the file, and is gone with it.
    expect(nginx.calls[0].files[SHARED_FILE_NAME]).toBeDefined();
    expect(readdirSync(sitesDir)).toEqual([]);
    expect(links()).toEqual([]);
  });

  it('restores the previous shared file when nginx -t fails on a settings change, and keeps the links', async () => {
    await applied(siteFor('example.com', true));
    const before = snapshot(sitesDir);
    const moved = sharedServer({ httpsListen: ['127.0.0.1:8443'] });
    nginx.expectCalls({ ...TEST, result: failed('nginx: [emerg] bind() failed\n') }, RELOAD);

    await rejection(moved.applySite(siteFor('example.net', true)));

    expect(nginx.calls[0].files[SHARED_FILE_NAME]).toContain('listen 127.0.0.1:8443 ssl;');
    expect(snapshot(sitesDir)).toEqual(before);
    expect(links()).toEqual(['mta-sts.example.com.pem']);
  });

  it('switching from per-domain removes the host file in the same tested apply, with the link already in place', async () => {
    const perDomain = new NginxWebServer(options, new FsFileStore(), nginx);
    nginx.expectCalls(TEST, RELOAD);
    await perDomain.applySite(siteFor('example.com', true));
    nginx.calls.length = 0;
    let linkedAtTest = false;
    nginx.expectCalls({ ...TEST, onCall: () => (linkedAtTest = existsSync(linkOf('example.com'))) }, RELOAD);

    await server.applySite(siteFor('example.com', true));

    expect(linkedAtTest).toBe(true);
    expect(Object.keys(nginx.calls[0].files).sort()).toEqual([DEFAULTS_FILE_NAME, SHARED_FILE_NAME]);
    expect(readdirSync(sitesDir).sort()).toEqual([DEFAULTS_FILE_NAME, SHARED_FILE_NAME]);
    expect(statSync(bundleOf('example.com')).uid).toBe(worker.uid);
  });

  it('keeps a per-domain file of the other layout and its link when the switching apply fails', async () => {
    const perDomain = new NginxWebServer(options, new FsFileStore(), nginx);
    nginx.expectCalls(TEST, RELOAD);
    await perDomain.applySite(siteFor('example.com', true));
    nginx.calls.length = 0;
    const before = snapshot(sitesDir);
    nginx.expectCalls({ ...TEST, result: failed('bad') }, RELOAD);

    await rejection(server.applySite(siteFor('example.com', true)));

    expect(snapshot(sitesDir)).toEqual(before);
    expect(links()).toEqual([]);
  });

  it('reloads on reload() while per-domain files of the other layout remain: their certificates are in memory', async () => {
    const perDomain = new NginxWebServer(options, new FsFileStore(), nginx);
    nginx.expectCalls(TEST, RELOAD);
    await perDomain.applySite(siteFor('example.net', true));
    nginx.calls.length = 0;
    nginx.expectCalls(TEST, RELOAD);
    await server.reload();
    expect(nginx.argsSeen()).toEqual([['-t'], ['-s', 'reload']]);
  });

  it('disabling a host still served by a per-domain file of the other layout removes that file through nginx -t', async () => {
    const perDomain = new NginxWebServer(options, new FsFileStore(), nginx);
    nginx.expectCalls(TEST, RELOAD);
    await perDomain.applySite(siteFor('example.com', true));
    nginx.calls.length = 0;
    nginx.expectCalls(TEST, RELOAD);
    await server.removeSite('mta-sts.example.com');
    expect(existsSync(sitePath())).toBe(false);
    expect(nginx.calls[0].files['mta-sts.example.com.conf']).toBeUndefined();
  });

  it('switching back to per-domain writes the host file, then drops its link, and the shared file with the last link', async () => {
    await applied(siteFor('example.com', true));
    await server.applySite(siteFor('example.net', true));
    const perDomain = new NginxWebServer(options, new FsFileStore(), nginx);

    let linkedAtTest = false;
    nginx.expectCalls({ ...TEST, onCall: () => (linkedAtTest = existsSync(linkOf('example.com'))) }, RELOAD);
    await perDomain.applySite(siteFor('example.com', true));
    // The host's own blocks were loaded before its link went; example.net still needs the shared file.
    expect(linkedAtTest).toBe(true);
    expect(Object.keys(nginx.calls[0].files).sort()).toEqual([
      DEFAULTS_FILE_NAME,
      SHARED_FILE_NAME,
      'mta-sts.example.com.conf',
    ]);
    expect(links()).toEqual(['mta-sts.example.net.pem']);
    expect(statSync(bundleOf('example.com')).uid).toBe(process.getuid!());
    expect(modeOf(join(root, 'certs'))).toBe(0o711);

    nginx.calls.length = 0;
    nginx.expectCalls(TEST, RELOAD);
    await perDomain.applySite(siteFor('example.net', true));
    expect(Object.keys(nginx.calls[0].files).sort()).toEqual([
      DEFAULTS_FILE_NAME,
      'mta-sts.example.com.conf',
      'mta-sts.example.net.conf',
    ]);
    expect(links()).toEqual([]);
    expect(modeOf(join(root, 'certs'))).toBe(0o700);
  });

  it('needs the worker user', () => {
    expect(() => new NginxWebServer({ ...shared, workerOwner: undefined }, new FsFileStore(), nginx)).toThrow(
      /worker user/,
    );
  });
});
