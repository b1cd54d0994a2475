import { DomainName } from '../../../src/mta-sts/domain/hostname';
import { OperationFailedError } from '../../../src/mta-sts/domain/errors';
import type { ResolvedMtaStsOptions } from '../../../src/mta-sts/mta-sts.options';
import type { DnsResolver } from '../../../src/mta-sts/ports/dns-resolver.port';
import type { ClusterNodeRow, ClusterState } from '../../../src/mta-sts/ports/cluster-state.port';
import type { CertificateAuthority } from '../../../src/mta-sts/ports/certificate-authority.port';
import type { WebServer } from '../../../src/mta-sts/ports/web-server.port';
import type { HttpClient } from '../../../src/mta-sts/ports/http-client.port';
import type { FileStore } from '../../../src/mta-sts/ports/file-store.port';
import type { DataLayout } from '../../../src/mta-sts/services/data-layout';
import type { ChallengeAnswers } from '../../../src/mta-sts/services/challenge-files';
import type { CertificateStore } from '../../../src/mta-sts/services/certificate-store';
import type { AuditService } from '../../../src/mta-sts/services/audit.service';
import { CertificateIssuer } from '../../../src/mta-sts/services/certificate-issuer';
import { PreflightService } from '../../../src/mta-sts/services/preflight.service';
import { standIn } from './stand-in';

const DOMAIN = DomainName.fromValidated('example.com');

const node = (name: string, address: string, alive: boolean): ClusterNodeRow => ({
  name,
  addresses: [address],
  startedAt: new Date(),
  seenAt: new Date(),
  alive,
  reconciledAt: new Date(),
  reconcileError: null,
});

/**
 * Before a certificate is ordered with several nodes, `mta-sts.<domain>` must point at
 * running nodes only: the CA validates HTTP-01 against one address it picks and does not
 * try another. Enable and a renewal (or re-issue) both look first; a single server's
 * renewal does not.
 */
describe('PreflightService: the policy host points at running nodes', () => {
  const nodes = [node('a', '192.0.2.1', true), node('b', '192.0.2.2', true), node('c', '192.0.2.3', false)];

  const preflight = (published: string[], cluster = true) => {
    const lookups: string[] = [];
    const dns = standIn<DnsResolver>('DnsResolver', {
      resolveAddresses: (host: string, family: 4 | 6) => {
        lookups.push(`${host}/${family}`);
        return Promise.resolve(published.filter((address) => address.includes(':') === (family === 6)));
      },
    });
    const state = standIn<ClusterState>('ClusterState', { nodes: () => Promise.resolve(nodes) });
    const options = {
      serverIpv4: '192.0.2.1',
      ...(cluster ? { cluster: { node: 'a' } } : {}),
    } as ResolvedMtaStsOptions;
    const service = new PreflightService(
      options,
      dns,
      standIn<HttpClient>('HttpClient', {}),
      standIn<FileStore>('FileStore', {}),
      standIn<DataLayout>('DataLayout', {}),
      standIn<ChallengeAnswers>('ChallengeAnswers', {}),
      cluster ? state : null,
    );
    return { service, lookups };
  };

  it('lets a renewal order when every published address is a running node', async () => {
    await expect(preflight(['192.0.2.1', '192.0.2.2']).service.assertRenewalReachable(DOMAIN)).resolves.toBeUndefined();
  });

  it('holds a renewal back while the name points at a stopped node, naming it and saying what happens meanwhile', async () => {
    const refusal = preflight(['192.0.2.1', '192.0.2.3']).service.assertRenewalReachable(DOMAIN);
    await expect(refusal).rejects.toBeInstanceOf(OperationFailedError);
    await expect(refusal).rejects.toThrow(
      'mta-sts.example.com points at 192.0.2.3, the address of c, which is not running: the CA may ask it for the challenge answer and fail. Take that address out of mta-sts.example.com (or start the node again); the renewal is tried again later, and the current certificate keeps serving until it expires.',
    );
  });

  it('tells Enable the same, ending with choosing Enable again', async () => {
    await expect(preflight(['192.0.2.3']).service.assertResolvesHere(DOMAIN)).rejects.toThrow(
      /which is not running: .*\(or start the node again\); then choose Enable again\.$/,
    );
  });

  it('holds a renewal back when the name points at an address that is no node', async () => {
    await expect(preflight(['192.0.2.1', '198.51.100.7']).service.assertRenewalReachable(DOMAIN)).rejects.toThrow(
      'mta-sts.example.com points at 198.51.100.7, which is no node of this cluster',
    );
  });

  it('looks nothing up for a renewal on a single server', async () => {
    const { service, lookups } = preflight(['198.51.100.7'], false);
    await expect(service.assertRenewalReachable(DOMAIN)).resolves.toBeUndefined();
    expect(lookups).toEqual([]);
  });

  it('orders nothing for a renewal that the look refuses, and the served certificate is left alone', async () => {
    const issue = vi.fn();
    const issuer = new CertificateIssuer(
      standIn<CertificateAuthority>('CertificateAuthority', { issue }),
      standIn<WebServer>('WebServer', {}),
      standIn<CertificateStore>('CertificateStore', {}),
      standIn<ChallengeAnswers>('ChallengeAnswers', {}),
      standIn<AuditService>('AuditService', {}),
      preflight(['192.0.2.3']).service,
    );
    await expect(issuer.replace(DOMAIN, undefined)).rejects.toThrow('which is not running');
    expect(issue).not.toHaveBeenCalled();
  });
});
