import { FileStore } from '../../ports/file-store.port';
import { ProcessRunner } from '../../ports/process-runner.port';
import { PolicySite, WebServer } from '../../ports/web-server.port';
import { NginxApplyEngine } from './nginx-apply';
import { NginxLayoutStrategy, NginxOptions, NginxSiteFiles } from './nginx-site-files';
import { PerDomainLayout } from './per-domain.layout';
import { SharedLayout } from './shared.layout';

export type { NginxDataPaths, NginxOptions } from './nginx-site-files';

/**
 * nginx behind the `WebServer` port: a layout strategy decides which files serve a policy
 * host (`PerDomainLayout`, `SharedLayout`), and one apply engine writes, tests, reloads
 * and rolls back (`NginxApplyEngine`). Every call runs in the engine's queue.
 */
export class NginxWebServer extends WebServer {
  private readonly engine: NginxApplyEngine;
  private readonly layout: NginxLayoutStrategy;

  constructor(options: NginxOptions, files: FileStore, processes: ProcessRunner) {
    super();
    this.engine = new NginxApplyEngine(options, files, processes);
    const paths = new NginxSiteFiles(options, files);
    if (options.layout === 'shared') {
      if (!options.workerOwner) throw new Error("The shared nginx layout needs nginx's worker user (workerOwner).");
      this.layout = new SharedLayout(paths, this.engine, files, options.workerOwner);
    } else {
      this.layout = new PerDomainLayout(paths, this.engine, files);
    }
  }

  applySite(site: PolicySite): Promise<void> {
    return this.engine.serialized(() => this.layout.apply(site));
  }

  removeSite(host: string): Promise<void> {
    return this.engine.serialized(() => this.layout.remove(host));
  }

  /** Called after a bundle was replaced: tests and reloads when the layout needs it. */
  reload(): Promise<void> {
    return this.engine.serialized(async () => {
      if (await this.layout.bundleReplaced()) await this.engine.testAndReload();
    });
  }

  resync(): Promise<void> {
    return this.engine.serialized(async () => {
      if (await this.engine.running()) await this.engine.testAndReload();
    });
  }

  configurationProblem(): Promise<string | undefined> {
    // In the queue: never between two files of one change.
    return this.engine.serialized(() => this.engine.configurationProblem());
  }
}
