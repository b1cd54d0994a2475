import { createHash } from 'node:crypto';
import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * Policy ids that are never reused (RFC 8461 §3.1, facts §5). Until now a policy's id was
 * a hash of its text, so a change back to an earlier text announced an earlier id again.
 * Each domain now keeps its current policy instance (id and exact text) and a sequence
 * for minting new ids. Every domain keeps the id it has today, which DNS may already
 * announce; the new ids start with the next change.
 *
 * The text and the hash are spelled out here as they were when this migration was
 * written, so that a later change to the renderer cannot change what it produces.
 */
export class PolicyInstances1764200000000 implements MigrationInterface {
  name = 'PolicyInstances1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('mta_sts_domains', [
      new TableColumn({ name: 'policyId', type: 'varchar', length: '32', isNullable: true }),
      new TableColumn({ name: 'policyText', type: 'text', isNullable: true }),
      new TableColumn({ name: 'policySerial', type: 'integer', default: 0 }),
    ]);
    const rows: { id: number; mode: string; mx: string; maxAge: number }[] = await queryRunner.query(
      `SELECT "id", "mode", "mx", "maxAge" FROM "mta_sts_domains"`,
    );
    for (const row of rows) {
      const text = legacyPolicyText(row.mode, JSON.parse(row.mx) as string[], Number(row.maxAge));
      if (text === null) continue;
      await queryRunner.manager
        .createQueryBuilder()
        .update('mta_sts_domains')
        .set({ policyId: legacyPolicyId(text), policyText: text })
        .where('id = :id', { id: row.id })
        .execute();
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of ['policySerial', 'policyText', 'policyId']) {
      await queryRunner.dropColumn('mta_sts_domains', column);
    }
  }
}

/** The policy text as versions before this migration rendered it. */
function legacyPolicyText(mode: string, mx: readonly string[], maxAge: number): string | null {
  if (mode !== 'none' && mx.length === 0) return null;
  return ['version: STSv1', `mode: ${mode}`, ...mx.map((pattern) => `mx: ${pattern}`), `max_age: ${maxAge}`]
    .map((line) => `${line}\r\n`)
    .join('');
}

/** The id versions before this migration announced: 32 hex digits of the text's SHA-256. */
function legacyPolicyId(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);
}
