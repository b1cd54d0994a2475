/**
 * N active domains as the panel leaves them on disk, without the panel: a policy file, a
 * certificate bundle from an in-memory CA and what nginx needs to serve them, in either
 * layout. The benchmarks that need many served domains share it.
 */
import { chmodSync, chownSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  renderDefaultsConfig,
  renderSharedConfig,
  renderSiteConfig,
  servedFileName,
  siteFileName,
  DEFAULTS_FILE_NAME,
  SHARED_FILE_NAME,
} from '../../src/mta-sts/adapters/nginx/nginx-config';
import { NGINX_HASH_BUCKET_SIZE, NginxLayout } from '../../src/mta-sts/mta-sts.options';
import { defaultFetchLog } from '../../src/mta-sts/options/resolve-reports';
import { DataLayout } from '../../src/mta-sts/services/data-layout';
import { Lab } from '../../test/support/lab';
import { execFileAsync, waitFor } from '../../test/support/processes';
import { TestCa } from '../../test/support/test-ca';
import { childrenOf } from './measure';

/**
 * Writes the files of `names` into the lab's data directory and nginx's sites directory
 * (nginx is not reloaded); `onSite` sees each domain's certificate as it is issued.
 */
export async function writeSites(
  lab: Lab,
  nginxLayout: NginxLayout,
  names: readonly string[],
  ca: TestCa,
  policyText: string,
  onSite: (name: string, certificatePem: string) => void = () => undefined,
): Promise<DataLayout> {
  const layout = new DataLayout(lab.dataDir);
  for (const dir of [layout.policiesDir, layout.challengeDir]) mkdirSync(dir, { recursive: true, mode: 0o755 });
  // As the panel leaves them: nginx's workers traverse to the bundles in the shared layout only.
  const certificateDirMode = nginxLayout === 'shared' ? 0o711 : 0o700;
  mkdirSync(layout.certificatesDir, { recursive: true });
  chmodSync(layout.certificatesDir, certificateDirMode);
  const fetchLog = defaultFetchLog(lab.dataDir);
  mkdirSync(dirname(fetchLog), { recursive: true });
  const listen = {
    httpListen: [`${lab.address}:${lab.ports.http}`],
    httpsListen: [`${lab.address}:${lab.ports.https}`],
    // As the panel writes them by default: every policy fetch is logged, the panel's own too.
    fetchLog,
  };
  // The same files the panel renders, so its first Enable finds nothing to change.
  writeFileSync(
    join(lab.nginx.sitesDir, DEFAULTS_FILE_NAME),
    renderDefaultsConfig({ ...listen, rejectUnknownSni: true, serverNamesHashBucketSize: NGINX_HASH_BUCKET_SIZE }),
  );
  // Shared layout: the worker reads the bundles through the links, so they are its own (0600).
  let worker = { uid: 0, gid: 0 };
  if (nginxLayout === 'shared') {
    const { servedDir, policiesDir, acmeWebroot } = layout;
    worker = {
      uid: Number((await execFileAsync('id', ['-u', lab.nginx.workerUser])).stdout),
      gid: Number((await execFileAsync('id', ['-g', lab.nginx.workerUser])).stdout),
    };
    mkdirSync(servedDir, { recursive: true });
    chmodSync(servedDir, 0o711);
    writeFileSync(
      join(lab.nginx.sitesDir, SHARED_FILE_NAME),
      renderSharedConfig({ ...listen, servedDir, policiesDir, acmeWebroot }),
    );
  }
  for (const name of names) {
    const issued = await ca.issue([`mta-sts.${name}`]);
    mkdirSync(join(layout.certificatesDir, name), { mode: certificateDirMode });
    writeFileSync(layout.certificateBundle(name), `${issued.certificatePem.trim()}\n${issued.privateKeyPem.trim()}\n`, {
      mode: 0o600,
    });
    writeFileSync(layout.policyFile(name), policyText, { mode: 0o644 });
    const site = {
      host: `mta-sts.${name}`,
      policyFile: layout.policyFile(name),
      acmeWebroot: layout.acmeWebroot,
      tls: { bundleFile: layout.certificateBundle(name) },
    };
    if (nginxLayout === 'shared') {
      chownSync(site.tls.bundleFile, worker.uid, worker.gid);
      symlinkSync(site.tls.bundleFile, join(layout.servedDir, servedFileName(site.host)));
    } else {
      writeFileSync(join(lab.nginx.sitesDir, siteFileName(site.host)), renderSiteConfig(site, listen));
    }
    onSite(name, issued.certificatePem);
  }
  return layout;
}

/** The pid of the lab's nginx master. */
export function nginxMaster(lab: Lab): number {
  return Number(readFileSync(lab.nginx.pidFile, 'utf8').trim());
}

/** Reloads the lab's nginx and waits until none of its former workers is left; the master's pid. */
export async function reloadNginx(lab: Lab): Promise<number> {
  const master = nginxMaster(lab);
  const before = new Set(childrenOf(master));
  await execFileAsync('nginx', [...lab.nginx.args, '-s', 'reload']);
  await waitFor(
    'nginx to replace its workers',
    async () => !childrenOf(master).some((pid) => before.has(pid)),
    600_000,
  );
  return master;
}
