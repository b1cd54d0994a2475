import { BackupError, createBackup, restoreBackup } from './backup';
import { InvalidSettingError, loadPanelConfig } from './env';

const USAGE = `Usage:
  npm run backup -- <file.tar.gz>             a consistent copy, while the panel runs
  npm run restore -- <file.tar.gz> [--force]  into MTA_STS_DATA_DIR, with the panel stopped
Both read the panel's settings from the environment (node --env-file=/etc/mta-sts.env …).`;

/** Whether a panel answers on the configured address: a restore under a running panel would be lost. */
async function panelAnswers(host: string, port: number): Promise<boolean> {
  try {
    await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`, {
      signal: AbortSignal.timeout(2_000),
    });
    return true;
  } catch {
    return false;
  }
}

async function main(args: string[]): Promise<number> {
  const [command, file, ...rest] = args;
  const force = rest.includes('--force');
  if ((command !== 'backup' && command !== 'restore') || !file || rest.some((arg) => arg !== '--force')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadPanelConfig();
  const dataDir = config.resolved.dataDir;
  if (config.databaseUrl) {
    // An archive without the database would look like a backup and restore nothing.
    throw new BackupError(
      'The database is PostgreSQL (MTA_STS_DATABASE_URL), which this command does not copy. ' +
        `Back it up with pg_dump, and ${dataDir} (ACME account, keys, certificates) with a file copy taken at the same time.`,
    );
  }
  if (command === 'backup') {
    const summary = await createBackup(dataDir, file);
    const domains = Object.entries(summary.manifest.domains).map(([state, n]) => `${n} ${state}`);
    process.stdout.write(
      `Backed up ${dataDir} to ${summary.file} (${Math.ceil(summary.bytes / 1024)} KiB, mode 0600): ` +
        `${domains.join(', ') || 'no domains'}. It holds private keys: keep it as safe as the server.\n`,
    );
    return 0;
  }
  if (await panelAnswers(config.host, config.port)) {
    throw new BackupError(
      `A panel answers on ${config.host}:${config.port}. Stop it first (systemctl stop mta-sts), then restore.`,
    );
  }
  const worker = config.resolved.nginx.workerUser;
  const summary = await restoreBackup(file, dataDir, { force, certificateOwner: worker });
  process.stdout.write(
    [
      `Restored ${file} (taken ${summary.manifest.createdAt}) into ${dataDir}.`,
      ...(summary.movedAside ? [`What was there before is in ${summary.movedAside}.`] : []),
      summary.serving.length > 0
        ? `At the next start the panel writes the nginx sites of ${summary.serving.length} serving domain(s) again: ${summary.serving.join(', ')}.`
        : 'No domain was serving a policy.',
      `If this machine's address differs from the old one, point each mta-sts.<domain> A/AAAA record at it and set MTA_STS_SERVER_IPV4/IPV6.`,
      'Start the panel now (systemctl start mta-sts); migrations run at start.',
    ].join('\n') + '\n',
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof InvalidSettingError) {
      process.stderr.write(`Invalid setting ${error.message}\n`);
      process.exit(2);
    }
    if (error instanceof BackupError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
