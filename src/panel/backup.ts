import { chmodSync, chownSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { lstatSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as tar from 'tar';
import { Database, OPEN_READONLY, OPEN_READWRITE } from 'sqlite3';
import { RESTORED_MARKER } from '../index';
import { DATABASE_BUSY_TIMEOUT_MS, DATABASE_FILE as DATABASE } from './database-file';

/** What a backup holds besides the database: the ACME account, keys and certificates, policy files. */
const DATA_PARTS = ['acme', 'certs', 'policies'];
const MANIFEST = 'manifest.json';
const FORMAT = 1;

export class BackupError extends Error {
  override name = 'BackupError';
}

export interface BackupManifest {
  readonly format: number;
  readonly createdAt: string;
  /** The last migration the database had, so a restore onto an older version can say so. */
  readonly lastMigration: string | null;
  readonly domains: Record<string, number>;
}

export interface BackupSummary {
  readonly file: string;
  readonly bytes: number;
  readonly manifest: BackupManifest;
}

export interface RestoreSummary {
  readonly manifest: BackupManifest;
  /** Domains that serve a policy and get their nginx site back at the next start. */
  readonly serving: string[];
  /** Where what was in the data directory before went, when anything was there. */
  readonly movedAside?: string;
}

function query<T>(db: Database, sql: string): Promise<T[]> {
  return new Promise((done, fail) => db.all(sql, (error, rows) => (error ? fail(error) : done(rows as T[]))));
}

function run(db: Database, sql: string, ...params: unknown[]): Promise<void> {
  return new Promise((done, fail) => db.run(sql, params, (error) => (error ? fail(error) : done())));
}

function open(file: string, mode: number): Promise<Database> {
  return new Promise((done, fail) => {
    const db = new Database(file, mode, (error) => (error ? fail(error) : done(db)));
  });
}

function close(db: Database): Promise<void> {
  return new Promise((done) => db.close(() => done()));
}

async function assertPanelDatabase(db: Database, file: string): Promise<{ name: string }[]> {
  const tables = await query<{ name: string }>(db, "SELECT name FROM sqlite_master WHERE type = 'table'");
  if (!tables.some((table) => table.name === 'mta_sts_domains')) {
    throw new BackupError(`${file} is not the panel's database (it has no mta_sts_domains table)`);
  }
  return tables;
}

async function describeDatabase(file: string): Promise<Omit<BackupManifest, 'format' | 'createdAt'>> {
  const db = await open(file, OPEN_READONLY);
  try {
    const tables = await assertPanelDatabase(db, file);
    const states = await query<{ state: string; n: number }>(
      db,
      'SELECT state, COUNT(*) AS n FROM mta_sts_domains GROUP BY state ORDER BY state',
    );
    const migrations = tables.some((table) => table.name === 'migrations')
      ? await query<{ name: string }>(db, 'SELECT name FROM migrations ORDER BY id DESC LIMIT 1')
      : [];
    return {
      lastMigration: migrations[0]?.name ?? null,
      domains: Object.fromEntries(states.map(({ state, n }) => [state, n])),
    };
  } finally {
    await close(db);
  }
}

/**
 * A consistent copy of a running panel: the database through SQLite's `VACUUM INTO` (a
 * snapshot of one transaction, taken while the panel keeps writing), then the ACME
 * account, certificates with their keys, and policy files. A change between the two is
 * harmless: the policy files are rewritten from the database at start, and a certificate
 * renewed meanwhile is newer than the one the database describes, never older.
 * The archive is a gzip'd tar, mode 0600, written under a temporary name and renamed.
 */
export async function createBackup(dataDir: string, target: string, now = new Date()): Promise<BackupSummary> {
  const file = resolve(target);
  if (existsSync(file)) throw new BackupError(`${file} already exists; give a new file name`);
  const database = join(dataDir, DATABASE);
  if (!existsSync(database)) {
    throw new BackupError(`There is no database at ${database}: is MTA_STS_DATA_DIR set as the panel has it?`);
  }
  const staging = mkdtempSync(join(dirname(file), '.mta-sts-backup-'));
  const partial = join(staging, basename(file));
  try {
    const db = await open(database, OPEN_READWRITE);
    try {
      db.configure('busyTimeout', DATABASE_BUSY_TIMEOUT_MS);
      await run(db, 'VACUUM INTO ?', join(staging, DATABASE));
    } finally {
      await close(db);
    }
    const manifest: BackupManifest = {
      format: FORMAT,
      createdAt: now.toISOString(),
      ...(await describeDatabase(join(staging, DATABASE))),
    };
    writeFileSync(join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    const parts = DATA_PARTS.filter((part) => existsSync(join(dataDir, part)));
    for (const part of parts)
      cpSync(join(dataDir, part), join(staging, part), { recursive: true, preserveTimestamps: true });
    await tar.create({ gzip: true, file: partial, cwd: staging, mode: 0o600 }, [MANIFEST, DATABASE, ...parts]);
    chmodSync(partial, 0o600);
    renameSync(partial, file);
    return { file, bytes: statSync(file).size, manifest };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Checks what the archive holds before anything is unpacked. */
async function checkArchive(archive: string): Promise<void> {
  const names: string[] = [];
  try {
    await tar.list({ file: archive, strict: true, onReadEntry: (entry) => names.push(entry.path) });
  } catch (error) {
    throw new BackupError(
      `${archive} is not a backup archive (a .tar.gz from "npm run backup"): ${(error as Error).message}`,
    );
  }
  if (!names.includes(MANIFEST) || !names.includes(DATABASE)) {
    throw new BackupError(`${archive} is not a backup of this panel (no ${MANIFEST} and ${DATABASE} in it)`);
  }
  const bad = names.find((name) => name.startsWith('/') || name.split('/').includes('..'));
  if (bad) throw new BackupError(`${archive} holds a path outside the data directory (${bad}); nothing was restored`);
}

/**
 * Puts a backup in place of the data directory of a stopped panel. The archive is
 * unpacked and checked next to the data directory first; only then does it replace the
 * directory, in one rename. What the directory held before is moved aside, never deleted.
 * The next start writes every serving domain's nginx site again (`.restored`), so a fresh
 * machine with an empty nginx sites directory ends with every domain serving.
 */
export async function restoreBackup(
  archive: string,
  dataDir: string,
  options: { force?: boolean; certificateOwner?: { uid: number; gid: number }; now?: Date } = {},
): Promise<RestoreSummary> {
  const file = resolve(archive);
  if (!existsSync(file)) throw new BackupError(`There is no file ${file}`);
  await checkArchive(file);
  const target = resolve(dataDir);
  const occupied = existsSync(target) && readdirSync(target).length > 0;
  if (occupied && existsSync(join(target, DATABASE)) && !options.force) {
    throw new BackupError(
      `${target} already holds a panel database. Restoring replaces it: run again with --force, and what is there now is moved aside (nothing is deleted).`,
    );
  }
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true, mode: 0o755 });
  const staging = mkdtempSync(join(parent, '.mta-sts-restore-'));
  try {
    await tar.extract({ file, cwd: staging, preserveOwner: false });
    const manifest = JSON.parse(readFileSync(join(staging, MANIFEST), 'utf8')) as BackupManifest;
    if (manifest.format !== FORMAT) {
      throw new BackupError(`${file} has backup format ${manifest.format}; this version reads format ${FORMAT}`);
    }
    const serving = await servingDomains(join(staging, DATABASE));
    rmSync(join(staging, MANIFEST));
    chmodSync(join(staging, DATABASE), 0o600);
    if (options.certificateOwner) chownTree(join(staging, 'certs'), options.certificateOwner);
    writeFileSync(join(staging, RESTORED_MARKER), `${basename(file)}\n`, { mode: 0o600 });
    chmodSync(staging, 0o755);
    let movedAside: string | undefined;
    if (existsSync(target)) {
      if (occupied) {
        movedAside = `${target}.before-restore-${(options.now ?? new Date()).toISOString().replace(/[-:]|\.\d+/g, '')}`;
        renameSync(target, movedAside);
      } else {
        rmSync(target, { recursive: true });
      }
    }
    renameSync(staging, target);
    return { manifest, serving, movedAside };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

/** The domains that serve a policy; refuses a file that is not the panel's database. */
async function servingDomains(database: string): Promise<string[]> {
  const db = await open(database, OPEN_READONLY);
  try {
    await assertPanelDatabase(db, database);
    const rows = await query<{ name: string }>(
      db,
      "SELECT name FROM mta_sts_domains WHERE state IN ('active', 'changing', 'retiring') ORDER BY name",
    );
    return rows.map((row) => row.name);
  } finally {
    await close(db);
  }
}

/** The shared layout's certificate files belong to nginx's worker user, whose uid may differ on another machine. */
function chownTree(dir: string, owner: { uid: number; gid: number }): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (lstatSync(path).isDirectory()) chownTree(path, owner);
    else chownSync(path, owner.uid, owner.gid);
  }
}
