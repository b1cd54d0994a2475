import { FileStore } from '../../ports/file-store.port';
import { PolicySite } from '../../ports/web-server.port';
import { NginxApplyEngine } from './nginx-apply';
import { renderSiteConfig } from './nginx-config';
import { BUNDLE_MODE, NginxLayoutStrategy, NginxSiteFiles } from './nginx-site-files';

/** Certificate directory in the per-domain layout: only nginx's master (root) reads bundles. */
const MASTER_ONLY_DIR = 0o700;

/**
 * One file with two server blocks per policy host: every change is tested and reloads
 * nginx, whose time and memory grow with the number of hosts. Applying a host removes what
 * the shared layout left for it, in the same tested apply.
 */
export class PerDomainLayout implements NginxLayoutStrategy {
  constructor(
    private readonly paths: NginxSiteFiles,
    private readonly engine: NginxApplyEngine,
    private readonly files: FileStore,
  ) {}

  async apply(site: PolicySite): Promise<void> {
    const links = await this.paths.servedHosts();
    const others = links.filter((host) => host !== site.host);
    await this.engine.apply([
      this.paths.defaultsChange(),
      { path: this.paths.sitePath(site.host), content: renderSiteConfig(site, this.paths.options) },
      // The shared file goes with the last host it served.
      ...(others.length === 0 ? [{ path: this.paths.sharedPath, content: null }] : []),
    ]);
    if (!links.includes(site.host)) return;
    // The host's own server blocks are loaded now and win over the shared regex.
    await this.files.remove(this.paths.servedPath(site.host));
    if (site.tls) await this.restoreMasterOnly(site.tls.bundleFile);
    if (others.length === 0) await this.files.ensureDir(this.paths.options.paths.certificatesDir, MASTER_ONLY_DIR);
  }

  async remove(host: string): Promise<void> {
    const links = await this.paths.servedHosts();
    const others = links.filter((name) => name !== host);
    const previousLink = await this.files.readLink(this.paths.servedPath(host));
    if (previousLink !== undefined) await this.files.remove(this.paths.servedPath(host));
    try {
      await this.engine.apply([
        { path: this.paths.sitePath(host), content: null },
        ...(links.length > 0 && others.length === 0 ? [{ path: this.paths.sharedPath, content: null }] : []),
      ]);
    } catch (error) {
      if (previousLink !== undefined) await this.files.symlinkAtomic(previousLink, this.paths.servedPath(host));
      throw error;
    }
  }

  /** The bundle is named in the host's file: nginx loads the new one at a reload. */
  async bundleReplaced(): Promise<boolean> {
    return true;
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
}
