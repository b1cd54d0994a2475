import { Column, Entity, MigrationInterface, PrimaryColumn, QueryRunner } from 'typeorm';

/** The host panel's own table, in the same database as the module's. */
@Entity('mail_domain')
export class MailDomain {
  @PrimaryColumn()
  name!: string;

  @Column({ default: 0 })
  mailboxes!: number;
}

export class MailDomains1700000000000 implements MigrationInterface {
  name = 'MailDomains1700000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "mail_domain" ("name" varchar PRIMARY KEY NOT NULL, "mailboxes" integer NOT NULL DEFAULT (0))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "mail_domain"`);
  }
}
