import { Logger } from '@nestjs/common';
import { CLUSTER_SERVED_STATES, nodeServing } from '../../domain/domain-state';
import { DomainName } from '../../domain/hostname';
import { policyOf } from '../../domain/policy-id';
import { MtaStsDomainEntity } from '../../persistence/mta-sts-domain.entity';
import { ClusterState, ServedRow } from '../../ports/cluster-state.port';
import { DomainStore } from '../../ports/domain-store.port';
import { WebServer } from '../../ports/web-server.port';
import { CertificateStore } from '../certificate-store';
import { KeyedMutex } from '../keyed-mutex';
import { PolicyHost } from '../policy-host';
import { bundleDigest } from './sealing';
import { SharedBundles } from './shared-bundles';

/** Domains brought in line at the same time in a full pass. */
const PASS_CONCURRENCY = 8;

/** What a full pass found. */
export interface ReconcileReport {
  readonly domains: number;
  readonly changed: number;
  readonly removed: number;
  readonly failed: number;
}

/**
 * Brings this node's nginx files in line with the database: each served domain's policy
 * file, its certificate bundle (unsealed from the database) and its site; sites of
 * domains that stopped being served are removed. Runs for one domain on a change notice
 * and for every domain at start-up and periodically (to catch a notice that was missed).
 * What it has written is remembered, so a pass over unchanged domains reads the database
 * and nothing else; what each domain is served with is recorded for the cards.
 */
export class NodeFiles {
  private readonly logger = new Logger('MtaSts');
  private readonly mutex = new KeyedMutex();
  /** What this node has on disk, by domain, as it last wrote or read it. */
  private readonly written = new Map<string, { policy?: string; digest: string | null; tls: boolean }>();
  /** What was last recorded in the database for each domain. */
  private readonly recorded = new Map<string, string>();

  constructor(
    private readonly node: string,
    private readonly store: DomainStore,
    private readonly state: ClusterState,
    private readonly host: PolicyHost,
    private readonly certificates: CertificateStore,
    private readonly bundles: SharedBundles,
    private readonly web: WebServer,
  ) {}

  /** One domain, after a change notice. */
  async domain(name: string): Promise<void> {
    const entity = await this.store.findByName(name);
    const digest = (await this.state.certificate(name))?.digest;
    const outcome = await this.bringInLine(name, entity, digest);
    await this.record([outcome]);
  }

  /**
   * Every domain: those served, then any file left here for a domain that is not. With
   * `fromDisk`, what this node wrote earlier is read again from its disk rather than
   * remembered, so a file changed behind the panel's back is put right too.
   */
  async all({ fromDisk = false }: { fromDisk?: boolean } = {}): Promise<ReconcileReport> {
    if (fromDisk) this.written.clear();
    const digests = await this.state.certificateDigests();
    const outcomes: Outcome[] = [];
    const seen = new Set<string>();
    // A few domains at a time: a new node writes thousands of files, most of the time
    // waiting for the disk.
    const inFlight = new Set<Promise<void>>();
    for await (const entity of this.store.stream(CLUSTER_SERVED_STATES)) {
      seen.add(entity.name);
      const work: Promise<void> = this.bringInLine(entity.name, entity, digests.get(entity.name)).then((outcome) => {
        outcomes.push(outcome);
        inFlight.delete(work);
      });
      inFlight.add(work);
      if (inFlight.size >= PASS_CONCURRENCY) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    for (const name of await this.host.policyDomains()) {
      if (seen.has(name)) continue;
      outcomes.push(await this.bringInLine(name, await this.store.findByName(name), digests.get(name)));
    }
    await this.record(outcomes);
    return {
      domains: seen.size,
      changed: outcomes.filter((outcome) => outcome.changed).length,
      removed: outcomes.filter((outcome) => outcome.row === 'gone').length,
      failed: outcomes.filter((outcome) => typeof outcome.row === 'object' && outcome.row.error !== null).length,
    };
  }

  private bringInLine(name: string, entity: MtaStsDomainEntity | null | undefined, digest: string | undefined) {
    return this.mutex.run(name, async (): Promise<Outcome> => {
      try {
        const wanted = nodeServing(entity?.state);
        if (wanted === 'stop' || !entity) return await this.stopServing(name);
        if (wanted === 'keep') return { name, changed: false, row: undefined };
        return await this.serve(entity, digest);
      } catch (error) {
        this.logger.error(`${this.node} could not bring ${name} in line with the database: ${String(error)}`);
        const row: ServedRow = {
          node: this.node,
          domain: name,
          policyId: null,
          certDigest: null,
          error: String(error),
        };
        return { name, changed: false, row };
      }
    });
  }

  private async serve(entity: MtaStsDomainEntity, sharedDigest: string | undefined): Promise<Outcome> {
    const name = entity.name;
    const known = this.written.get(name) ?? (await this.readLocal(name));
    let changed = false;
    const policy = policyOf(entity);
    if (policy && known.policy !== policy.text) {
      await this.host.writePolicy(name, policy.text);
      changed = true;
    }
    let digest = known.digest;
    let replaced = false;
    if (sharedDigest !== undefined && sharedDigest !== digest) {
      const bundle = await this.bundles.get(name);
      if (bundle !== undefined) {
        await this.certificates.install(name, bundle);
        digest = bundleDigest(bundle);
        replaced = known.digest !== null;
        changed = true;
      }
    }
    const tls = digest !== null;
    if (!this.written.has(name) || tls !== known.tls) {
      await this.host.serve(DomainName.fromValidated(name), tls);
      changed ||= tls !== known.tls;
    }
    // A site that already served TLS reads the new bundle after a reload.
    if (replaced) await this.web.reload();
    this.written.set(name, { policy: policy?.text ?? known.policy, digest, tls });
    if (changed)
      this.logger.log(`${this.node} now serves ${name} as the database says (policy ${policy?.id ?? 'none'})`);
    return {
      name,
      changed,
      row: { node: this.node, domain: name, policyId: policy?.id ?? null, certDigest: digest, error: null },
    };
  }

  private async stopServing(name: string): Promise<Outcome> {
    const present = this.written.has(name) || (await this.host.readPolicy(name)) !== undefined;
    this.written.delete(name);
    if (!present) return { name, changed: false, row: 'gone' };
    await this.host.remove(DomainName.fromValidated(name));
    this.logger.log(`${this.node} no longer serves ${name}`);
    return { name, changed: true, row: 'gone' };
  }

  /** What is on disk for a domain this process has not written yet (after a start). */
  private async readLocal(name: string): Promise<{ policy?: string; digest: string | null; tls: boolean }> {
    const bundle = await this.certificates.localBundle(name);
    return {
      policy: await this.host.readPolicy(name),
      digest: bundle === undefined ? null : bundleDigest(bundle),
      tls: bundle !== undefined,
    };
  }

  private async record(outcomes: readonly Outcome[]): Promise<void> {
    const rows: ServedRow[] = [];
    const gone: string[] = [];
    for (const { name, row } of outcomes) {
      if (row === undefined) continue;
      const key = row === 'gone' ? 'gone' : `${row.policyId}|${row.certDigest}|${row.error}`;
      if (this.recorded.get(name) === key) continue;
      this.recorded.set(name, key);
      if (row === 'gone') gone.push(name);
      else rows.push(row);
    }
    await this.state.recordServed(rows);
    await this.state.forgetServed(this.node, gone);
  }
}

interface Outcome {
  readonly name: string;
  readonly changed: boolean;
  /** What to record: the served row, 'gone' when the node no longer serves it, undefined to leave it. */
  readonly row: ServedRow | 'gone' | undefined;
}
