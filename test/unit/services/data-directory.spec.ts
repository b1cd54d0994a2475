import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsFileStore } from '../../../src/mta-sts/adapters/fs.file-store';
import type { ResolvedMtaStsOptions } from '../../../src/mta-sts/mta-sts.options';
import { DataDirectory } from '../../../src/mta-sts/services/data-directory';
import { DataLayout } from '../../../src/mta-sts/services/data-layout';

/** Temporary files left by interrupted writes, found and removed on a real file system. */
describe('DataDirectory', () => {
  let dir: string;
  let layout: DataLayout;
  let directory: DataDirectory;
  const startedAt = new Date('2026-11-26T12:00:00Z');
  const before = new Date(startedAt.getTime() - 60_000);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-data-'));
    layout = new DataLayout(join(dir, 'data'));
    const sitesDir = join(dir, 'sites');
    for (const path of [layout.policiesDir, layout.certificatesDir, sitesDir]) mkdirSync(path, { recursive: true });
    const options = { nginx: { sitesDir } } as unknown as ResolvedMtaStsOptions;
    directory = new DataDirectory(new FsFileStore(), options, layout);
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function file(path: string, modified = before): string {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, 'x');
    utimesSync(path, modified, modified);
    return path;
  }

  it('removes stale temporaries of the module directories at start-up and leaves the certificate directories for later', async () => {
    file(join(layout.policiesDir, '.example.com.txt.0123456789ab.tmp'));
    file(join(layout.policiesDir, 'example.com.txt'));
    file(join(layout.certificatesDir, 'example.com', '.certificate.pem.0123456789ab.tmp'));

    await directory.removeStaleTemporaries();

    expect(readdirSync(layout.policiesDir)).toEqual(['example.com.txt']);
    expect(readdirSync(join(layout.certificatesDir, 'example.com'))).toEqual(['.certificate.pem.0123456789ab.tmp']);
  });

  it('removes the certificate temporaries older than the start, never one written since', async () => {
    file(join(layout.certificatesDir, 'a.example', '.certificate.pem.0123456789ab.tmp'));
    file(join(layout.certificatesDir, 'a.example', 'certificate.pem'));
    const writing = file(
      join(layout.certificatesDir, 'b.example', '.certificate.pem.ba9876543210.tmp'),
      new Date(startedAt.getTime() + 1000),
    );

    await directory.removeStaleCertificateTemporaries(startedAt);

    expect(readdirSync(join(layout.certificatesDir, 'a.example'))).toEqual(['certificate.pem']);
    expect(readdirSync(join(layout.certificatesDir, 'b.example'))).toEqual([writing.split('/').pop()]);
  });
});
