import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { canonicalIp } from '../domain/dns-records';
import { utcDay } from '../domain/report-summary';
import { DailyFetches, dailyFetches, readFetchChunk, senderName } from '../domain/policy-fetches';
import { Clock } from '../ports/clock.port';
import { DnsResolver } from '../ports/dns-resolver.port';
import { DomainStore } from '../ports/domain-store.port';
import { FileStore } from '../ports/file-store.port';
import { PolicyFetches } from '../ports/policy-fetches.port';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';

/** Bytes read at a time; the counts and the cursor are committed after each. */
const CHUNK_BYTES = 1024 * 1024;
/** Fetchers named per run, and at once; the rest wait for the next run. */
const NAMES_PER_RUN = 200;
const NAME_CONCURRENCY = 8;
/** A fetcher's reverse DNS is looked up again after a week. */
const NAME_TTL_MS = 7 * 86_400_000;

export interface FetchLogRun {
  /** Lines counted for a domain served here. */
  readonly counted: number;
  /** Lines for names not served here, or not in the fetch log's format. */
  readonly skipped: number;
  /** Fetchers whose reverse DNS was looked up. */
  readonly named: number;
}

interface Segment {
  readonly path: string;
  readonly inode: string;
  readonly from: number;
}

/** Bytes of a log's start that identify it: more than one line. */
const HEAD_BYTES = 256;

/**
 * Reads nginx's log of policy fetches into daily counts per domain and client address.
 * The cursor (inode and offset) moves in the same transaction as the counts, so a restart
 * never counts a line twice; a rotated log (`<log>.1`, as logrotate leaves it) is read to
 * its end before the new one, and a truncated one (copytruncate) from its start.
 */
@Injectable()
export class FetchActivity {
  private readonly logger = new Logger('MtaSts');
  private running: Promise<FetchLogRun> | undefined;

  constructor(
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    @Inject(FileStore) private readonly files: FileStore,
    @Inject(PolicyFetches) private readonly fetches: PolicyFetches,
    @Inject(DomainStore) private readonly store: DomainStore,
    @Inject(DnsResolver) private readonly dns: DnsResolver,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** Reads what nginx logged since the last run; a run already going is joined, not repeated. */
  ingest(): Promise<FetchLogRun> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<FetchLogRun> {
    const path = this.options.reports.fetchLog;
    if (!path) return { counted: 0, skipped: 0, named: 0 };
    // Whether each name is served here, looked up once per run, a chunk's new names at once.
    const served = new Map<string, boolean>();
    let counted = 0;
    let skipped = 0;
    const addresses = new Set<string>();
    for (const segment of await this.segments(path)) {
      let offset = segment.from;
      for (;;) {
        const chunk = await this.files.readBytes(segment.path, offset, CHUNK_BYTES);
        if (!chunk || chunk.length === 0) break;
        const read = readFetchChunk(chunk);
        if (read.consumed === 0) {
          // A line longer than a chunk is no fetch line: skip past it.
          if (chunk.length < CHUNK_BYTES) break;
          offset += chunk.length;
          skipped++;
          continue;
        }
        const unknown = [...new Set(read.fetches.map((fetch) => fetch.domain))].filter((name) => !served.has(name));
        const found = new Set((await this.store.outlinesOf(unknown)).map((outline) => outline.name));
        for (const name of unknown) served.set(name, found.has(name));
        const rows: DailyFetches[] = dailyFetches(read.fetches, (domain) => served.get(domain) === true);
        const countedHere = rows.reduce((sum, row) => sum + row.fetches, 0);
        offset += read.consumed;
        const head = await this.head(segment.path, offset);
        await this.fetches.add(rows, { path, inode: segment.inode, offset, head }, utcDay(this.clock.now()));
        counted += countedHere;
        skipped += read.skipped + read.fetches.length - countedHere;
        for (const row of rows) addresses.add(row.address);
      }
    }
    const named = await this.nameFetchers([...addresses]);
    return { counted, skipped, named };
  }

  /** What to read: the rest of a rotated file, then the current one from where it starts. */
  private async segments(path: string): Promise<Segment[]> {
    const cursor = await this.fetches.cursor(path);
    const current = await this.files.stat(path);
    if (cursor && current && current.inode === cursor.inode) {
      // Shorter than where we were, or starting differently: truncated in place and written again.
      const rewritten = current.size < cursor.offset || (await this.head(path, cursor.offset)) !== cursor.head;
      return [{ path, inode: current.inode, from: rewritten ? 0 : cursor.offset }];
    }
    const segments: Segment[] = [];
    const rotated = cursor && (await this.files.stat(`${path}.1`));
    if (cursor && rotated && rotated.inode === cursor.inode && rotated.size >= cursor.offset) {
      segments.push({ path: `${path}.1`, inode: cursor.inode, from: cursor.offset });
    }
    if (current) segments.push({ path, inode: current.inode, from: 0 });
    return segments;
  }

  /** A digest of the first bytes read (at most HEAD_BYTES of the first `length`): the same file gives the same. */
  private async head(path: string, length: number): Promise<string> {
    const bytes = await this.files.readBytes(path, 0, Math.min(HEAD_BYTES, length));
    return createHash('sha256')
      .update(bytes ?? Buffer.alloc(0))
      .digest('hex');
  }

  /**
   * Looks up the reverse DNS of fetchers not named in the last week, and keeps a name
   * only when its forward lookup gives the address back.
   */
  private async nameFetchers(addresses: string[]): Promise<number> {
    const now = this.clock.now();
    const known = await this.fetches.names(addresses);
    const due = addresses
      .filter((address) => {
        const name = known.get(address);
        return !name || now.getTime() - name.checkedAt.getTime() > NAME_TTL_MS;
      })
      .slice(0, NAMES_PER_RUN);
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const address = due[next++];
        const ptr = await this.confirmedPtr(address);
        await this.fetches.saveName({ address, ptr, sender: ptr && senderName(ptr), checkedAt: now });
      }
    };
    await Promise.all(Array.from({ length: Math.min(NAME_CONCURRENCY, due.length) }, worker));
    return due.length;
  }

  private async confirmedPtr(address: string): Promise<string | null> {
    try {
      const family = address.includes(':') ? 6 : 4;
      for (const name of (await this.dns.resolvePtr(address)).slice(0, 4)) {
        const forward = await this.dns.resolveAddresses(name, family);
        if (forward.some((value) => canonicalIp(value) === canonicalIp(address))) return name.toLowerCase();
      }
    } catch (error) {
      this.logger.debug(`Reverse DNS of ${address}: ${(error as Error).message}`);
    }
    return null;
  }
}
