import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/** Drivers that run every query on one connection: a second BEGIN inside an open transaction fails. */
const SINGLE_CONNECTION = new Set([
  'sqlite',
  'better-sqlite3',
  'sqljs',
  'capacitor',
  'cordova',
  'expo',
  'react-native',
]);

/**
 * The module's transactions. On SQLite, TypeORM runs every query on one connection, where
 * two transactions at once break each other ("cannot start a transaction within a
 * transaction", and the first one's commit then fails too), so they run one after another
 * here. Other databases give each transaction a connection of its own from the pool.
 */
@Injectable()
export class Transactions {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly serial: boolean;

  constructor(@InjectDataSource() private readonly source: DataSource) {
    this.serial = SINGLE_CONNECTION.has(source.options.type);
  }

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.serial) return this.source.transaction(work);
    const run = this.tail.then(() => this.source.transaction(work));
    this.tail = run.catch(() => undefined);
    return run;
  }
}
