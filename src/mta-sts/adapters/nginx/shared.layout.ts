import { X509Certificate, createPrivateKey } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import { splitPemChain } from '../../domain/certificate';
import { OperationFailedError } from '../../domain/errors';
import { FileOwner, FileStore } from '../../ports/file-store.port';
import { PolicySite } from '../../ports/web-server.port';
import { NginxApplyEngine } from './nginx-apply';
import { BUNDLE_MODE, NginxLayoutStrategy, NginxSiteFiles } from './nginx-site-files';

/**
 * Certificate directories in the shared layout: nginx's workers must traverse them to
 * reach a bundle, but need not list them, so other local users cannot list the domains
 * either. The bundles themselves stay 0600, owned by the worker user.
 */
const WORKER_TRAVERSABLE_DIR = 0o711;
/** Bundles changed this long before the previous check are checked again (file system time stamps are coarse). */
const MODIFIED_SLACK_MS = 2_000;
/** Served links checked at the same time. */
const CHECK_BATCH = 64;

/** Why a bundle cannot be served, or undefined when nginx can load it. */
export function bundleProblem(bundle: string | undefined): string | undefined {
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
 * One file for all hosts, whose certificate nginx's worker reads per handshake through
 * `<servedDir>/<host>.pem`: adding, removing or renewing a host only changes that link or
 * the file behind it, and only a change of the shared file itself is tested and reloaded.
 * Applying a host removes its per-domain file, in the same tested apply; exact server
 * names win over the shared regex, so every host keeps serving across a switch.
 */
export class SharedLayout implements NginxLayoutStrategy {
  /** Served bundles modified since then are checked by the next `bundleReplaced()`. */
  private checkedSince = Date.now();

  constructor(
    private readonly paths: NginxSiteFiles,
    private readonly engine: NginxApplyEngine,
    private readonly files: FileStore,
    private readonly owner: FileOwner,
  ) {}

  async apply(site: PolicySite): Promise<void> {
    this.assertSharedPaths(site);
    const link = this.paths.servedPath(site.host);
    const previousLink = await this.files.readLink(link);
    if (site.tls) {
      await this.makeServable(site.host, site.tls.bundleFile);
      if (previousLink !== site.tls.bundleFile) await this.files.symlinkAtomic(site.tls.bundleFile, link);
    } else if (previousLink !== undefined) {
      await this.files.remove(link);
    }
    try {
      await this.engine.apply([
        this.paths.defaultsChange(),
        this.paths.sharedChange(),
        // Left from the per-domain layout: exact names would win over the shared server.
        { path: this.paths.sitePath(site.host), content: null },
      ]);
    } catch (error) {
      if (previousLink === undefined) await this.files.remove(link);
      else if (previousLink !== site.tls?.bundleFile) await this.files.symlinkAtomic(previousLink, link);
      throw error;
    }
  }

  async remove(host: string): Promise<void> {
    const link = this.paths.servedPath(host);
    const previousLink = await this.files.readLink(link);
    // Without its link, a handshake for the host finds no certificate and fails.
    await this.files.remove(link);
    try {
      await this.engine.apply([{ path: this.paths.sitePath(host), content: null }]);
    } catch (error) {
      if (previousLink !== undefined) await this.files.symlinkAtomic(previousLink, link);
      throw error;
    }
  }

  /**
   * The links already lead to the new file, so nginx is left alone, unless per-domain files
   * from the other layout remain (their certificates live in nginx's memory until a
   * reload). The bundles changed since the last call are checked the way `nginx -t` would
   * check them, and given back to the worker user if something else rewrote them.
   */
  async bundleReplaced(): Promise<boolean> {
    await this.checkServedBundles();
    return (await this.paths.siteFiles()).length > 0;
  }

  /**
   * The shared file names the policy file and the webroot by pattern, so a site must use
   * exactly those paths (what `DataLayout` gives), and its bundle must sit under the
   * certificate directory, whose modes this layout sets.
   */
  private assertSharedPaths(site: PolicySite): void {
    const { policiesDir, acmeWebroot, certificatesDir } = this.paths.options.paths;
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
    const { certificatesDir, servedDir } = this.paths.options.paths;
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
    if (!status || status.uid !== this.owner.uid || status.gid !== this.owner.gid || status.mode !== BUNDLE_MODE) {
      await this.files.setOwner(bundleFile, this.owner, BUNDLE_MODE);
    }
  }

  /** Checks the bundles of the served hosts modified since the last check. */
  private async checkServedBundles(): Promise<void> {
    const started = Date.now();
    const hosts = await this.paths.servedHosts();
    for (let at = 0; at < hosts.length; at += CHECK_BATCH) {
      await Promise.all(
        hosts.slice(at, at + CHECK_BATCH).map(async (host) => {
          const link = this.paths.servedPath(host);
          const status = await this.files.stat(link);
          // A dangling link serves nothing, like a disabled host; nothing to check.
          if (!status) return;
          if (status.modifiedMs >= this.checkedSince - MODIFIED_SLACK_MS) {
            const problem = bundleProblem(await this.files.read(link));
            if (problem) {
              throw new OperationFailedError(`The new certificate of ${host} cannot be served: ${problem}.`, link);
            }
          }
          if (status.uid !== this.owner.uid || status.gid !== this.owner.gid || status.mode !== BUNDLE_MODE) {
            await this.files.setOwner(link, this.owner, BUNDLE_MODE);
          }
        }),
      );
    }
    this.checkedSince = started;
  }
}
