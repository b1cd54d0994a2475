import { join } from 'node:path';
import type { NginxLayout } from '../../options/module-options';
import { FileOwner, FileStore } from '../../ports/file-store.port';
import { PolicySite } from '../../ports/web-server.port';
import type { FileChange, NginxCommand } from './nginx-apply';
import {
  DEFAULTS_FILE_NAME,
  NginxDefaultsSettings,
  SHARED_FILE_NAME,
  hostOfServedFile,
  isSiteFileName,
  renderDefaultsConfig,
  renderSharedConfig,
  servedFileName,
  siteFileName,
} from './nginx-config';

/** The data directory's parts nginx reads (see `DataLayout`). */
export interface NginxDataPaths {
  /** `<policy host>.pem` links to the bundles of the hosts served over HTTPS (shared layout). */
  readonly servedDir: string;
  /** Policy files, `<domain>.txt`. */
  readonly policiesDir: string;
  readonly acmeWebroot: string;
  /** Bundles, `<domain>/certificate.pem`. */
  readonly certificatesDir: string;
}

export interface NginxOptions extends NginxDefaultsSettings, NginxCommand {
  readonly layout: NginxLayout;
  readonly paths: NginxDataPaths;
  /** nginx's worker user: owns the bundles in the shared layout, where the workers read them. */
  readonly workerOwner?: FileOwner;
}

/** Bundles hold a private key: 0600 in both layouts (owned by root, or by the worker user). */
export const BUNDLE_MODE = 0o600;

/** How a layout serves policy hosts; the apply engine tests, reloads and rolls back. */
export interface NginxLayoutStrategy {
  apply(site: PolicySite): Promise<void>;
  remove(host: string): Promise<void>;
  /** After a bundle was replaced (a renewal): whether nginx must test and reload to serve it. */
  bundleReplaced(): Promise<boolean>;
}

/** Where the module's nginx files are, and the two files both layouts share. */
export class NginxSiteFiles {
  constructor(
    readonly options: NginxOptions,
    private readonly files: FileStore,
  ) {}

  sitePath(host: string): string {
    return join(this.options.sitesDir, siteFileName(host));
  }

  servedPath(host: string): string {
    return join(this.options.paths.servedDir, servedFileName(host));
  }

  get sharedPath(): string {
    return join(this.options.sitesDir, SHARED_FILE_NAME);
  }

  defaultsChange(): FileChange {
    return { path: join(this.options.sitesDir, DEFAULTS_FILE_NAME), content: renderDefaultsConfig(this.options) };
  }

  sharedChange(): FileChange {
    const { servedDir, policiesDir, acmeWebroot } = this.options.paths;
    return {
      path: this.sharedPath,
      content: renderSharedConfig({ ...this.options, servedDir, policiesDir, acmeWebroot }),
    };
  }

  /** The hosts with a link in the served directory. */
  async servedHosts(): Promise<string[]> {
    const names = await this.files.list(this.options.paths.servedDir);
    return names.map(hostOfServedFile).filter((host): host is string => host !== undefined);
  }

  /** Per-domain files in the sites directory. */
  async siteFiles(): Promise<string[]> {
    return (await this.files.list(this.options.sitesDir)).filter(isSiteFileName);
  }
}
