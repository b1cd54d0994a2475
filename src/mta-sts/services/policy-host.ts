import { Inject, Injectable, Logger } from '@nestjs/common';
import { DomainName } from '../domain/hostname';
import { FileStore } from '../ports/file-store.port';
import { PolicySite, WebServer } from '../ports/web-server.port';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { SYSTEM_ACTOR } from './audit.service';
import { DataLayout } from './data-layout';
import { DnsPublishing } from './dns-publishing';
import { HeldLock } from './domain-locks';
import { PolicyHostAddresses } from './cluster/host-addresses';
import { ServerAddresses } from '../domain/dns-records';

/**
 * Everything senders fetch for a domain from this server: its policy file (0644 under the
 * data directory, read by nginx's workers), its site on the web server with or without
 * TLS, and, where the panel writes the domain's zone, the DNS records that lead to them.
 */
@Injectable()
export class PolicyHost {
  private readonly logger = new Logger('MtaSts');

  constructor(
    @Inject(WebServer) private readonly web: WebServer,
    @Inject(FileStore) private readonly files: FileStore,
    private readonly layout: DataLayout,
    private readonly publishing: DnsPublishing,
    private readonly hostAddresses: PolicyHostAddresses,
  ) {}

  /** Where `mta-sts.<domain>` should point: this server, or every node of a cluster. */
  addresses(): Promise<ServerAddresses> {
    return this.hostAddresses.current();
  }

  /**
   * The DNS records follow what is served (RFC 8461 §8.1: the id only once its policy is
   * served), where the domain's zone is configured; undefined where it is not. Never
   * throws: a failure is recorded for the card and tried again by the checks.
   */
  publishRecords(name: DomainName, wait: boolean): Promise<string | undefined> {
    return this.publishing.follow(name.ascii, wait);
  }

  /** `publishRecords` for a domain whose lock the caller holds. */
  publishRecordsLocked(held: HeldLock, entity: MtaStsDomainEntity, wait: boolean): Promise<string | undefined> {
    return this.publishing.followLocked(held, entity, wait);
  }

  /** The host is gone: its policy record and this server's addresses leave the zone (where it is configured). */
  async withdrawRecordsLocked(held: HeldLock, entity: MtaStsDomainEntity): Promise<void> {
    await this.publishing.withdrawLocked(held, entity, SYSTEM_ACTOR).catch((error: unknown) => {
      this.logger.warn(`Removing the DNS records of ${entity.name} failed: ${String(error)}`);
    });
  }

  /** What the web server serves for the domain: the policy file, the ACME webroot, the bundle once there is one. */
  site(name: DomainName, withTls: boolean): PolicySite {
    return {
      host: name.policyHost,
      policyFile: this.layout.policyFile(name.ascii),
      acmeWebroot: this.layout.acmeWebroot,
      tls: withTls ? { bundleFile: this.layout.certificateBundle(name.ascii) } : undefined,
    };
  }

  /** Serves the site; the ACME webroot exists first, so port 80 can answer challenges. */
  async serve(name: DomainName, withTls: boolean): Promise<void> {
    await this.files.ensureDir(this.layout.challengeDir, 0o755);
    await this.web.applySite(this.site(name, withTls));
  }

  /**
   * Writes the policy file atomically: senders read either the old text or the new one.
   * The directory is made only when it is missing, so a failure names the file.
   */
  async writePolicy(domain: string, text: string): Promise<void> {
    const file = this.layout.policyFile(domain);
    try {
      await this.files.writeAtomic(file, text, 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await this.files.ensureDir(this.layout.policiesDir, 0o755);
      await this.files.writeAtomic(file, text, 0o644);
    }
  }

  /** The domains with a policy file on this server. */
  async policyDomains(): Promise<string[]> {
    const names = await this.files.list(this.layout.policiesDir);
    return names.filter((name) => name.endsWith('.txt')).map((name) => name.slice(0, -'.txt'.length));
  }

  readPolicy(domain: string): Promise<string | undefined> {
    return this.files.read(this.layout.policyFile(domain));
  }

  /** Stops serving the host, then removes its policy file. If nginx refuses, the host keeps serving. */
  async remove(name: DomainName): Promise<void> {
    await this.web.removeSite(name.policyHost);
    await this.files.remove(this.layout.policyFile(name.ascii));
  }
}
