import { X509Certificate, createPrivateKey } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import { splitPemChain } from '../../domain/certificate';
import { nginxTestAdvice } from './nginx-errors';
import { OperationFailedError } from '../../domain/errors';
import type { NginxLayout } from '../../options/module-options';
import { FileOwner, FileStore } from '../../ports/file-store.port';
import { ProcessRunner } from '../../ports/process-runner.port';
import { PolicySite, WebServer } from '../../ports/web-server.port';
import {
  DEFAULTS_FILE_NAME,
  NginxDefaultsSettings,
  SHARED_FILE_NAME,
  hostOfServedFile,
  isSiteFileName,
  renderDefaultsConfig,
  renderSharedConfig,
  renderSiteConfig,
  servedFileName,
  siteFileName,
} from './nginx-config';

/** The data directory's parts nginx reads in the shared layout (see `DataLayout`). */
export interface NginxDataPaths {
  /** `<policy host>.pem` links to the bundles of the hosts served over HTTPS (shared layout). */
  readonly servedDir: string;
  /** Policy files, `<domain>.txt`. */
  readonly policiesDir: string;
  readonly acmeWebroot: string;
  /** Bundles, `<domain>/certificate.pem`. */
  readonly certificatesDir: string;
}

export interface NginxOptions extends NginxDefaultsSettings {
  readonly bin: string;
  /** Extra arguments for every nginx call, e.g. `-p DIR -c FILE`. */
  readonly args: readonly string[];
  readonly sitesDir: string;
  /** nginx's pid file, to see when a reload has taken effect. */
  readonly pidFile: string;
  readonly commandTimeoutMs: number;
  readonly layout: NginxLayout;
  readonly paths: NginxDataPaths;
  /** nginx's worker user: owns the bundles in the shared layout, where the workers read them. */
  readonly workerOwner?: FileOwner;
}

/** How long to wait for the master to replace its workers after a reload signal. */
const RELOAD_SETTLE_MS = 5_000;
const RELOAD_POLL_MS = 20;

/** Config files are not secret; nginx's master reads them as root anyway. */
const CONFIG_MODE = 0o644;
const BUNDLE_MODE = 0o600;
/**
 * Certificate directories in the shared layout: nginx's workers must traverse them to
 * reach a bundle, but need not list them, so other local users cannot list the domains
 * either. The bundles themselves stay 0600, owned by the worker user.
 */
const WORKER_TRAVERSABLE_DIR = 0o711;
/** Certificate directory in the per-domain layout: only nginx's master (root) reads bundles. */
const MASTER_ONLY_DIR = 0o700;
/** Bundles changed this long before the previous check are checked again (file system time stamps are coarse). */
const MODIFIED_SLACK_MS = 2_000;
/** Served links checked at the same time. */
const CHECK_BATCH = 64;

interface FileChange {
  readonly path: string;
  /** New content, or null to remove the file. */
  readonly content: string | null;
}

/** Why a bundle cannot be served, or undefined when nginx can load it. */
function bundleProblem(bundle: string | undefined): string | undefined {
  if (bundle === undefined) return 'the file is missing';
  const key = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/.exec(bundle)?.[0];
  const [leaf] = splitPemChain(bundle);
  if (!leaf) return 'it holds no certificate';
  if (!key) return 'it holds no private key';
  try {
    if (!new X509Certificate(leaf).checkPrivateKey(createPrivateKey(key))) {
      return 'the private key does not belong to the certificate';
    }
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

/**
 * nginx behind the `WebServer` port. It is the one owner of write, test, reload and
 * roll back: changed files are written atomically, `nginx -t` must pass, then nginx
 * reloads; on any failure the previous files come back and nginx reloads again, so the
 * configuration that was serving keeps serving and the next restart still starts.
 *
 * Two layouts. Per-domain: one file per policy host, so every change reloads nginx, whose
 * time and memory grow with the number of hosts. Shared: one file for all hosts, whose
 * certificate nginx's worker reads per handshake through `<servedDir>/<host>.pem`; adding,
 * removing or renewing a host only changes that link or the file behind it, and only a
 * change of the shared file itself is tested and reloaded. Each layout removes what the
 * other left for a host when that host is applied, in the same tested apply, and exact
 * server names win over the shared regex, so every host keeps serving across a switch.
 */
export class NginxWebServer extends WebServer {
  /** Applies run one at a time: two interleaved applies could roll back each other's files. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Served bundles modified since then are checked by the next `reload()` in the shared layout. */
  private checkedSince = Date.now();

  constructor(
    private readonly options: NginxOptions,
    private readonly files: FileStore,
    private readonly processes: ProcessRunner,
  ) {
    super();
    if (options.layout === 'shared' && !options.workerOwner) {
      throw new Error("The shared nginx layout needs nginx's worker user (workerOwner).");
    }
  }

  applySite(site: PolicySite): Promise<void> {
    return this.serialized(() => (this.shared ? this.applyShared(site) : this.applyPerDomain(site)));
  }

  removeSite(host: string): Promise<void> {
    return this.serialized(() => (this.shared ? this.removeShared(host) : this.removePerDomain(host)));
  }

  /**
   * Called after a bundle was replaced. Per-domain: test and reload. Shared: the links
   * already lead to the new file, so nginx is left alone, unless per-domain files from
   * the other layout remain (their certificates live in nginx's memory until a reload).
   * The bundles changed since the last call are checked the way `nginx -t` would check
   * them, and given back to the worker user if something else rewrote them.
   */
  reload(): Promise<void> {
    return this.serialized(async () => {
      if (this.shared) {
        await this.checkServedBundles();
        if ((await this.leftoverSiteFiles()).length === 0) return;
      }
      await this.testConfig();
      await this.reloadNginx();
    });
  }

  resync(): Promise<void> {
    return this.serialized(async () => {
      if ((await this.workers()) === undefined) return;
      await this.testConfig();
      await this.reloadNginx();
    });
  }

  private get shared(): boolean {
    return this.options.layout === 'shared';
  }

  private sitePath(host: string): string {
    return join(this.options.sitesDir, siteFileName(host));
  }

  private servedPath(host: string): string {
    return join(this.options.paths.servedDir, servedFileName(host));
  }

  private get sharedPath(): string {
    return join(this.options.sitesDir, SHARED_FILE_NAME);
  }

  private defaultsChange(): FileChange {
    return { path: join(this.options.sitesDir, DEFAULTS_FILE_NAME), content: renderDefaultsConfig(this.options) };
  }

  private sharedChange(): FileChange {
    const { servedDir, policiesDir, acmeWebroot } = this.options.paths;
    return {
      path: this.sharedPath,
      content: renderSharedConfig({ ...this.options, servedDir, policiesDir, acmeWebroot }),
    };
  }

  // ---- per-domain layout

  private async applyPerDomain(site: PolicySite): Promise<void> {
    const links = await this.servedHosts();
    const others = links.filter((host) => host !== site.host);
    await this.apply([
      this.defaultsChange(),
      { path: this.sitePath(site.host), content: renderSiteConfig(site, this.options) },
      // The shared file goes with the last host it served.
      ...(others.length === 0 ? [{ path: this.sharedPath, content: null }] : []),
    ]);
    if (!links.includes(site.host)) return;
    // The host's own server blocks are loaded now and win over the shared regex.
    await this.files.remove(this.servedPath(site.host));
    if (site.tls) await this.restoreMasterOnly(site.tls.bundleFile);
    if (others.length === 0) await this.files.ensureDir(this.options.paths.certificatesDir, MASTER_ONLY_DIR);
  }

  private async removePerDomain(host: string): Promise<void> {
    const links = await this.servedHosts();
    const others = links.filter((name) => name !== host);
    const previousLink = await this.files.readLink(this.servedPath(host));
    if (previousLink !== undefined) await this.files.remove(this.servedPath(host));
    try {
      await this.apply([
        { path: this.sitePath(host), content: null },
        ...(links.length > 0 && others.length === 0 ? [{ path: this.sharedPath, content: null }] : []),
      ]);
    } catch (error) {
      if (previousLink !== undefined) await this.files.symlinkAtomic(previousLink, this.servedPath(host));
      throw error;
    }
  }

  /** A bundle left readable by the shared layout's workers goes back to nginx's master only. */
  private async restoreMasterOnly(bundleFile: string): Promise<void> {
    const uid = process.getuid?.();
    const gid = process.getgid?.();
    if (uid === undefined || gid === undefined) return;
    const status = await this.files.stat(bundleFile);
    if (status && (status.uid !== uid || status.gid !== gid)) {
      await this.files.setOwner(bundleFile, { uid, gid }, BUNDLE_MODE);
    }
  }

  // ---- shared layout

  private async applyShared(site: PolicySite): Promise<void> {
    this.assertSharedPaths(site);
    const link = this.servedPath(site.host);
    const previousLink = await this.files.readLink(link);
    if (site.tls) {
      await this.makeServable(site.host, site.tls.bundleFile);
      if (previousLink !== site.tls.bundleFile) await this.files.symlinkAtomic(site.tls.bundleFile, link);
    } else if (previousLink !== undefined) {
      await this.files.remove(link);
    }
    try {
      await this.apply([
        this.defaultsChange(),
        this.sharedChange(),
        // Left from the per-domain layout: exact names would win over the shared server.
        { path: this.sitePath(site.host), content: null },
      ]);
    } catch (error) {
      if (previousLink === undefined) await this.files.remove(link);
      else if (previousLink !== site.tls?.bundleFile) await this.files.symlinkAtomic(previousLink, link);
      throw error;
    }
  }

  private async removeShared(host: string): Promise<void> {
    const link = this.servedPath(host);
    const previousLink = await this.files.readLink(link);
    // Without its link, a handshake for the host finds no certificate and fails.
    await this.files.remove(link);
    try {
      await this.apply([{ path: this.sitePath(host), content: null }]);
    } catch (error) {
      if (previousLink !== undefined) await this.files.symlinkAtomic(previousLink, link);
      throw error;
    }
  }

  /**
   * The shared file names the policy file and the webroot by pattern, so a site must use
   * exactly those paths (what `DataLayout` gives), and its bundle must sit under the
   * certificate directory, whose modes this adapter sets.
   */
  private assertSharedPaths(site: PolicySite): void {
    const { policiesDir, acmeWebroot, certificatesDir } = this.options.paths;
    const domain = site.host.replace(/^mta-sts\./, '');
    const bundle = site.tls?.bundleFile;
    const inside = bundle !== undefined && !relative(certificatesDir, bundle).startsWith('..');
    if (
      site.policyFile !== join(policiesDir, `${domain}.txt`) ||
      site.acmeWebroot !== acmeWebroot ||
      (bundle !== undefined && !inside)
    ) {
      throw new OperationFailedError(
        `The shared nginx layout serves ${site.host} only from the module's data directory; its files are elsewhere.`,
        JSON.stringify(site),
      );
    }
  }

  /**
   * Readies a bundle for nginx's worker: the directories on the way traversable, the file
   * 0600 owned by the worker user (a bundle written in the per-domain layout belongs to
   * root), and loadable, which `nginx -t` cannot check for a certificate named by a variable.
   */
  private async makeServable(host: string, bundleFile: string): Promise<void> {
    const owner = this.options.workerOwner!;
    const { certificatesDir, servedDir } = this.options.paths;
    for (const dir of new Set([certificatesDir, dirname(bundleFile), servedDir])) {
      await this.files.ensureDir(dir, WORKER_TRAVERSABLE_DIR);
    }
    const problem = bundleProblem(await this.files.read(bundleFile));
    if (problem) {
      throw new OperationFailedError(
        `The certificate of ${host} cannot be served: ${problem}. Re-issue the certificate.`,
        bundleFile,
      );
    }
    const status = await this.files.stat(bundleFile);
    if (!status || status.uid !== owner.uid || status.gid !== owner.gid || status.mode !== BUNDLE_MODE) {
      await this.files.setOwner(bundleFile, owner, BUNDLE_MODE);
    }
  }

  /** Checks the bundles of the served hosts modified since the last check (see `reload`). */
  private async checkServedBundles(): Promise<void> {
    const owner = this.options.workerOwner!;
    const started = Date.now();
    const hosts = await this.servedHosts();
    for (let at = 0; at < hosts.length; at += CHECK_BATCH) {
      await Promise.all(
        hosts.slice(at, at + CHECK_BATCH).map(async (host) => {
          const link = this.servedPath(host);
          const status = await this.files.stat(link);
          // A dangling link serves nothing, like a disabled host; nothing to check.
          if (!status) return;
          if (status.modifiedMs >= this.checkedSince - MODIFIED_SLACK_MS) {
            const problem = bundleProblem(await this.files.read(link));
            if (problem) {
              throw new OperationFailedError(`The new certificate of ${host} cannot be served: ${problem}.`, link);
            }
          }
          if (status.uid !== owner.uid || status.gid !== owner.gid || status.mode !== BUNDLE_MODE) {
            await this.files.setOwner(link, owner, BUNDLE_MODE);
          }
        }),
      );
    }
    this.checkedSince = started;
  }

  /** The hosts with a link in the served directory. */
  private async servedHosts(): Promise<string[]> {
    const names = await this.files.list(this.options.paths.servedDir);
    return names.map(hostOfServedFile).filter((host): host is string => host !== undefined);
  }

  /** Per-domain files in the sites directory (left from the per-domain layout, in the shared one). */
  private async leftoverSiteFiles(): Promise<string[]> {
    return (await this.files.list(this.options.sitesDir)).filter(isSiteFileName);
  }

  // ---- write, test, reload, roll back

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(changes: readonly FileChange[]): Promise<void> {
    const previous = new Map<string, string | undefined>();
    for (const change of changes) previous.set(change.path, await this.files.read(change.path));
    const effective = changes.filter((change) => (previous.get(change.path) ?? null) !== change.content);
    if (effective.length === 0) return;

    await this.files.ensureDir(this.options.sitesDir, 0o755);
    try {
      await this.write(effective);
      await this.testConfig();
      await this.reloadNginx();
    } catch (error) {
      await this.write(effective.map((change) => ({ path: change.path, content: previous.get(change.path) ?? null })));
      // Restore the running state too: a failed reload may have left nginx half-told.
      await this.reloadNginx().catch(() => undefined);
      throw error;
    }
  }

  private async write(changes: readonly FileChange[]): Promise<void> {
    for (const change of changes) {
      if (change.content === null) await this.files.remove(change.path);
      else await this.files.writeAtomic(change.path, change.content, CONFIG_MODE);
    }
  }

  configurationProblem(): Promise<string | undefined> {
    // In the queue: never between two files of one change.
    return this.serialized(async () => {
      const failure = await this.runConfigTest();
      if (!failure) return undefined;
      const stderr = failure.stderr.trim();
      const last = stderr.split('\n').find((line) => /\[emerg\]|\[crit\]/.test(line)) ?? stderr;
      return `nginx -t fails: ${last.replace(/^.*\[(emerg|crit)\] \d+#\d+: /, '')}${failure.advice ? ` ${failure.advice}` : ''}`;
    });
  }

  private async testConfig(): Promise<void> {
    const failure = await this.runConfigTest();
    if (failure) {
      throw new OperationFailedError(
        `nginx rejected the new configuration (nginx -t failed); the previous configuration is still serving.${failure.advice ? ` ${failure.advice}` : ''}`,
        failure.stderr,
      );
    }
  }

  /** Runs `nginx -t`: undefined when the configuration loads, else its output and the fix it points to. */
  private async runConfigTest(): Promise<{ stderr: string; advice?: string } | undefined> {
    const result = await this.nginx(['-t']);
    return result.code === 0 ? undefined : { stderr: result.stderr, advice: nginxTestAdvice(result.stderr) };
  }

  private async reloadNginx(): Promise<void> {
    const before = await this.workers();
    const result = await this.nginx(['-s', 'reload']);
    if (result.code !== 0) {
      const notRunning = /nginx\.pid|invalid PID|No such process/i.test(result.stderr);
      throw new OperationFailedError(
        notRunning
          ? 'nginx is not running, so the new configuration could not be loaded. Start nginx and try again.'
          : 'nginx could not reload; the previous configuration is still serving.',
        result.stderr,
      );
    }
    await this.settle(before);
  }

  /**
   * `nginx -s reload` only signals the master and returns; until the master has started
   * new workers, the old ones keep answering with the old configuration. Waiting for the
   * old workers to be replaced makes "applied" mean "serving".
   */
  private async settle(before: ReadonlySet<string> | undefined): Promise<void> {
    if (!before || before.size === 0) return;
    const deadline = Date.now() + RELOAD_SETTLE_MS;
    while (Date.now() < deadline) {
      const now = await this.workers();
      if (!now || ![...now].some((pid) => before.has(pid))) return;
      await new Promise((resolve) => setTimeout(resolve, RELOAD_POLL_MS));
    }
  }

  /** The pids of the master's workers that still accept connections (Linux /proc). */
  private async workers(): Promise<Set<string> | undefined> {
    const master = (await this.files.read(this.options.pidFile).catch(() => undefined))?.trim();
    if (!master || !/^\d+$/.test(master)) return undefined;
    const children = await this.files.read(`/proc/${master}/task/${master}/children`).catch(() => undefined);
    if (children === undefined) return undefined;
    const active = new Set<string>();
    for (const pid of children.split(' ').filter(Boolean)) {
      const cmdline = await this.files.read(`/proc/${pid}/cmdline`).catch(() => undefined);
      if (cmdline?.startsWith('nginx: worker process') && !cmdline.includes('shutting down')) active.add(pid);
    }
    return active;
  }

  private nginx(args: readonly string[]) {
    return this.processes.run(this.options.bin, [...this.options.args, ...args], this.options.commandTimeoutMs);
  }
}
