import { PolicyFilesRecovery } from '../../../src/mta-sts/services/policy-files-recovery';
import type { ResolvedMtaStsOptions } from '../../../src/mta-sts/mta-sts.options';
import type { DomainName } from '../../../src/mta-sts/domain/hostname';
import { nextPolicyIdentity } from '../../../src/mta-sts/domain/policy-id';
import type { WebServer } from '../../../src/mta-sts/ports/web-server.port';
import type { DataDirectory } from '../../../src/mta-sts/services/data-directory';
import type { EnableRun } from '../../../src/mta-sts/services/enable-run';
import type { PolicyHost } from '../../../src/mta-sts/services/policy-host';
import type { RetirementSweep } from '../../../src/mta-sts/services/retirement-sweep';
import { StartupRecovery } from '../../../src/mta-sts/services/startup-recovery';
import { FakeDomainStore } from './fake-domain-store';
import { NOW, servingDomain } from './serving-domain';
import { standIn } from './stand-in';

/** What start-up puts right, against an in-memory store and strict stand-ins that log the order of events. */
describe('StartupRecovery', () => {
  let store: FakeDomainStore;
  let events: string[];
  let files: Map<string, string>;
  let restored: boolean;
  let serveFailsFor: string | undefined;
  let resyncFails: boolean;

  function recovery(): StartupRecovery {
    const web = standIn<WebServer>('WebServer', {
      resync: async () => {
        if (resyncFails) throw new Error('nginx: [emerg] unknown directive');
        events.push('resync');
      },
    });
    const host = standIn<PolicyHost>('PolicyHost', {
      readPolicy: async (domain: string) => files.get(domain),
      writePolicy: async (domain: string, text: string) => {
        events.push(`write ${domain}`);
        files.set(domain, text);
      },
      serve: async (name: DomainName) => {
        if (name.ascii === serveFailsFor) throw new Error('nginx -t failed');
        events.push(`serve ${name.ascii}`);
      },
    });
    const dataDirectory = standIn<DataDirectory>('DataDirectory', {
      removeStaleTemporaries: async () => {
        events.push('clean');
      },
      removeStaleCertificateTemporaries: async () => {
        events.push('clean certificates');
      },
      restoredFromBackup: async () => restored,
      clearRestoredMarker: async () => {
        events.push('marker cleared');
      },
    });
    const retirements = standIn<RetirementSweep>('RetirementSweep', {
      finishDue: async () => {
        events.push('retirements');
        return 0;
      },
    });
    const run = standIn<EnableRun>('EnableRun', {
      start: (name: DomainName) => {
        events.push(`resume ${name.ascii}`);
      },
    });
    const clock = { now: () => NOW };
    const options = {} as ResolvedMtaStsOptions;
    const policyFiles = new PolicyFilesRecovery(options, store, clock, host, dataDirectory);
    return new StartupRecovery(store, web, clock, policyFiles, dataDirectory, retirements, run);
  }

  beforeEach(() => {
    store = new FakeDomainStore();
    events = [];
    files = new Map();
    restored = false;
    serveFailsFor = undefined;
    resyncFails = false;
  });

  it('rewrites a policy file an interrupted change left behind, and serves it under the recorded id', async () => {
    const steady = servingDomain(store, { name: 'steady.example' });
    files.set('steady.example', steady.policyText!);
    // The database took the new policy; the stop came before its file was written.
    const next = nextPolicyIdentity(
      { policyId: steady.policyId, policyText: steady.policyText, policySerial: steady.policySerial },
      { mode: 'testing', mx: ['mx.example.com'], maxAge: 86_400 },
      NOW,
    );
    const interrupted = servingDomain(store, { name: 'changed.example', state: 'changing', maxAge: 86_400, ...next });
    files.set('changed.example', steady.policyText!);
    store.rows.get(interrupted.id)!.servedPolicyId = steady.policyId;
    await recovery().onApplicationBootstrap();
    expect(events).toEqual(['clean', 'resync', 'write changed.example', 'retirements', 'clean certificates']);
    expect(files.get('changed.example')).toBe(next.policyText);
    expect(store.rows.get(interrupted.id)).toMatchObject({
      servedPolicyId: next.policyId,
      policyPublishedAt: NOW,
      policyVisibleAt: null,
    });
    expect(store.rows.get(steady.id)).toEqual(steady);
  });

  it('serves every serving domain again after a restore, and keeps the marker while one fails', async () => {
    for (const name of ['a.example', 'b.example']) files.set(name, servingDomain(store, { name }).policyText!);
    servingDomain(store, { name: 'idle.example', state: 'inactive' });
    restored = true;
    serveFailsFor = 'b.example';
    await recovery().onApplicationBootstrap();
    expect(events).toEqual(['clean', 'resync', 'serve a.example', 'retirements', 'clean certificates']);
    serveFailsFor = undefined;
    events = [];
    await recovery().onApplicationBootstrap();
    expect(events).toEqual([
      'clean',
      'resync',
      'serve a.example',
      'serve b.example',
      'marker cleared',
      'retirements',
      'clean certificates',
    ]);
  });

  it('finishes due retirements, then resumes each domain that was provisioning where it stopped', async () => {
    store.put({ name: 'half.example', state: 'provisioning', step: 'certificate' });
    await recovery().onApplicationBootstrap();
    expect(events).toEqual(['clean', 'resync', 'retirements', 'resume half.example', 'clean certificates']);
  });

  it('goes on serving the rest when nginx cannot load the configuration at start-up', async () => {
    resyncFails = true;
    store.put({ name: 'half.example', state: 'provisioning', step: 'policy-file' });
    await recovery().onApplicationBootstrap();
    expect(events).toEqual(['clean', 'retirements', 'resume half.example', 'clean certificates']);
  });
});
