import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ClusterNodeRow, ClusterState, ServedRow, SharedCertificate, SweepMark } from '../ports/cluster-state.port';

const date = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

/** `ClusterState` in PostgreSQL (several nodes share nothing else, so the SQL is PostgreSQL's). */
@Injectable()
export class TypeOrmClusterState extends ClusterState {
  constructor(@InjectDataSource() private readonly source: DataSource) {
    super();
  }

  private query<T>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    return this.source.query(sql, parameters) as Promise<T[]>;
  }

  /** The rows an `UPDATE … RETURNING` gave (TypeORM answers `[rows, count]` for updates). */
  private async updated<T>(sql: string, parameters: unknown[]): Promise<T[]> {
    const [rows] = (await this.source.query(sql, parameters)) as [T[], number];
    return rows;
  }

  async putCertificate(domain: string, { sealed, digest }: SharedCertificate): Promise<void> {
    await this.query(
      `INSERT INTO "mta_sts_shared_certificates" ("domain", "sealed", "digest", "updatedAt") VALUES ($1, $2, $3, now())
       ON CONFLICT ("domain") DO UPDATE SET "sealed" = EXCLUDED."sealed", "digest" = EXCLUDED."digest", "updatedAt" = now()
       WHERE "mta_sts_shared_certificates"."digest" <> EXCLUDED."digest"`,
      [domain, sealed, digest],
    );
  }

  async removeCertificate(domain: string): Promise<void> {
    await this.query('DELETE FROM "mta_sts_shared_certificates" WHERE "domain" = $1', [domain]);
  }

  async certificate(domain: string): Promise<SharedCertificate | undefined> {
    const [row] = await this.query<SharedCertificate>(
      'SELECT "sealed", "digest" FROM "mta_sts_shared_certificates" WHERE "domain" = $1',
      [domain],
    );
    return row;
  }

  async certificateDigests(): Promise<Map<string, string>> {
    const rows = await this.query<{ domain: string; digest: string }>(
      'SELECT "domain", "digest" FROM "mta_sts_shared_certificates"',
    );
    return new Map(rows.map((row) => [row.domain, row.digest]));
  }

  async addChallenge(token: string, keyAuthorization: string): Promise<void> {
    await this.query(
      `INSERT INTO "mta_sts_challenges" ("token", "keyAuthorization", "createdAt") VALUES ($1, $2, now())
       ON CONFLICT ("token") DO UPDATE SET "keyAuthorization" = EXCLUDED."keyAuthorization"`,
      [token, keyAuthorization],
    );
  }

  async removeChallenge(token: string): Promise<void> {
    await this.source.transaction(async (manager) => {
      await manager.query('DELETE FROM "mta_sts_challenge_acks" WHERE "token" = $1', [token]);
      await manager.query('DELETE FROM "mta_sts_challenges" WHERE "token" = $1', [token]);
    });
  }

  async challenge(token: string): Promise<string | undefined> {
    const [row] = await this.query<{ keyAuthorization: string }>(
      'SELECT "keyAuthorization" FROM "mta_sts_challenges" WHERE "token" = $1',
      [token],
    );
    return row?.keyAuthorization;
  }

  async challengeTokens(): Promise<string[]> {
    return (await this.query<{ token: string }>('SELECT "token" FROM "mta_sts_challenges"')).map((row) => row.token);
  }

  async acknowledge(token: string, node: string): Promise<void> {
    await this.query(
      `INSERT INTO "mta_sts_challenge_acks" ("token", "node") SELECT $1::varchar, $2::varchar
       WHERE EXISTS (SELECT 1 FROM "mta_sts_challenges" WHERE "token" = $1) ON CONFLICT DO NOTHING`,
      [token, node],
    );
  }

  async acknowledgements(token: string): Promise<string[]> {
    const rows = await this.query<{ node: string }>('SELECT "node" FROM "mta_sts_challenge_acks" WHERE "token" = $1', [
      token,
    ]);
    return rows.map((row) => row.node);
  }

  async heartbeat(node: string, addresses: readonly string[], startedAt: Date): Promise<void> {
    await this.query(
      `INSERT INTO "mta_sts_nodes" ("name", "addresses", "startedAt", "seenAt") VALUES ($1, $2, $3, now())
       ON CONFLICT ("name") DO UPDATE SET "addresses" = EXCLUDED."addresses", "startedAt" = EXCLUDED."startedAt", "seenAt" = now()`,
      [node, JSON.stringify(addresses), startedAt],
    );
  }

  async reconciled(node: string, error: string | null): Promise<void> {
    await this.query('UPDATE "mta_sts_nodes" SET "reconciledAt" = now(), "reconcileError" = $2 WHERE "name" = $1', [
      node,
      error,
    ]);
  }

  async nodes(aliveSeconds: number): Promise<ClusterNodeRow[]> {
    const rows = await this.query<{
      name: string;
      addresses: string;
      startedAt: Date | string;
      seenAt: Date | string;
      alive: boolean;
      reconciledAt: Date | string | null;
      reconcileError: string | null;
    }>(
      `SELECT "name", "addresses", "startedAt", "seenAt", "reconciledAt", "reconcileError",
              "seenAt" > now() - make_interval(secs => $1)
                AND EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'mta-sts:' || "name") AS "alive"
       FROM "mta_sts_nodes" ORDER BY "name"`,
      [aliveSeconds],
    );
    return rows.map((row) => ({
      name: row.name,
      addresses: JSON.parse(row.addresses) as string[],
      startedAt: new Date(row.startedAt),
      seenAt: new Date(row.seenAt),
      alive: row.alive,
      reconciledAt: date(row.reconciledAt),
      reconcileError: row.reconcileError,
    }));
  }

  async removeNode(node: string): Promise<void> {
    await this.source.transaction(async (manager) => {
      await manager.query('DELETE FROM "mta_sts_node_domains" WHERE "node" = $1', [node]);
      await manager.query('DELETE FROM "mta_sts_challenge_acks" WHERE "node" = $1', [node]);
      await manager.query('DELETE FROM "mta_sts_nodes" WHERE "name" = $1', [node]);
    });
  }

  async recordServed(rows: readonly ServedRow[]): Promise<void> {
    for (let start = 0; start < rows.length; start += 500) {
      const chunk = rows.slice(start, start + 500);
      const values = chunk.map(
        (_, i) => `($${i * 5 + 1}, $${i * 5 + 2}, $${i * 5 + 3}, $${i * 5 + 4}, $${i * 5 + 5}, now())`,
      );
      await this.query(
        `INSERT INTO "mta_sts_node_domains" ("node", "domain", "policyId", "certDigest", "error", "syncedAt")
         VALUES ${values.join(', ')}
         ON CONFLICT ("node", "domain") DO UPDATE SET "policyId" = EXCLUDED."policyId",
           "certDigest" = EXCLUDED."certDigest", "error" = EXCLUDED."error", "syncedAt" = now()`,
        chunk.flatMap((row) => [row.node, row.domain, row.policyId, row.certDigest, row.error]),
      );
    }
  }

  async forgetServed(node: string, domains: readonly string[]): Promise<void> {
    if (domains.length === 0) return;
    await this.query('DELETE FROM "mta_sts_node_domains" WHERE "node" = $1 AND "domain" = ANY($2)', [node, domains]);
  }

  async servedBy(domains: readonly string[]): Promise<Array<ServedRow & { certificateCurrent: boolean }>> {
    if (domains.length === 0) return [];
    const rows = await this.query<ServedRow & { syncedAt: Date | string; certificateCurrent: boolean }>(
      `SELECT n."node", n."domain", n."policyId", n."certDigest", n."error", n."syncedAt",
              n."certDigest" IS NOT DISTINCT FROM c."digest" AS "certificateCurrent"
       FROM "mta_sts_node_domains" n LEFT JOIN "mta_sts_shared_certificates" c ON c."domain" = n."domain"
       WHERE n."domain" = ANY($1) ORDER BY n."node"`,
      [domains],
    );
    return rows.map((row) => ({ ...row, syncedAt: new Date(row.syncedAt) }));
  }

  async beginTerm(node: string): Promise<number> {
    const [row] = await this.updated<{ epoch: number }>(
      `UPDATE "mta_sts_leadership" SET "epoch" = "epoch" + 1, "holder" = $1, "since" = now()
       WHERE "name" = 'jobs' RETURNING "epoch"`,
      [node],
    );
    return Number(row.epoch);
  }

  async currentTerm(): Promise<{ epoch: number; holder: string | null }> {
    const [row] = await this.query<{ epoch: number; holder: string | null }>(
      `SELECT "epoch", "holder" FROM "mta_sts_leadership" WHERE "name" = 'jobs'`,
    );
    return { epoch: Number(row?.epoch ?? 0), holder: row?.holder ?? null };
  }

  async sweep(job: string): Promise<SweepMark | undefined> {
    const [row] = await this.query<{
      job: string;
      epoch: number;
      startedAt: Date | string;
      finishedAt: Date | string | null;
      doneThrough: number;
    }>('SELECT "job", "epoch", "startedAt", "finishedAt", "doneThrough" FROM "mta_sts_sweeps" WHERE "job" = $1', [job]);
    if (!row) return undefined;
    return {
      job: row.job,
      epoch: Number(row.epoch),
      startedAt: new Date(row.startedAt),
      finishedAt: date(row.finishedAt),
      doneThrough: Number(row.doneThrough),
    };
  }

  async sweepStarted(job: string, epoch: number, resume: boolean): Promise<void> {
    if (resume) {
      await this.query('UPDATE "mta_sts_sweeps" SET "epoch" = $2 WHERE "job" = $1 AND "finishedAt" IS NULL', [
        job,
        epoch,
      ]);
      return;
    }
    await this.query(
      `INSERT INTO "mta_sts_sweeps" ("job", "epoch", "startedAt", "finishedAt", "doneThrough") VALUES ($1, $2, now(), NULL, 0)
       ON CONFLICT ("job") DO UPDATE SET "epoch" = EXCLUDED."epoch", "startedAt" = now(), "finishedAt" = NULL, "doneThrough" = 0`,
      [job, epoch],
    );
  }

  async sweepProgress(job: string, epoch: number, doneThrough: number, finished: boolean): Promise<boolean> {
    // Only the term that owns the sweep moves it on, and only while that term is current:
    // a paused former leader's progress is refused.
    const rows = await this.updated<{ job: string }>(
      `UPDATE "mta_sts_sweeps" SET "doneThrough" = GREATEST("doneThrough", $3),
         "finishedAt" = CASE WHEN $4 THEN now() ELSE "finishedAt" END
       WHERE "job" = $1 AND "epoch" = $2
         AND $2 = (SELECT "epoch" FROM "mta_sts_leadership" WHERE "name" = 'jobs')
       RETURNING "job"`,
      [job, epoch, doneThrough, finished],
    );
    return rows.length > 0;
  }
}
