import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { canonicalIp } from '../domain/dns-records';
import { DomainName } from '../domain/hostname';
import { OperationFailedError } from '../domain/errors';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { DnsResolver } from '../ports/dns-resolver.port';
import { FileStore } from '../ports/file-store.port';
import { HttpClient, HttpResponse } from '../ports/http-client.port';
import { ClusterState } from '../ports/cluster-state.port';
import { ChallengeAnswers } from './challenge-files';
import { ALIVE_SECONDS } from './cluster/cluster-timing';
import { DataLayout } from './data-layout';

/** The port part of an nginx listen value (`443`, `127.0.0.1:443`, `[::]:443`). */
export function listenPort(value: string): number {
  return Number(value.slice(value.lastIndexOf(':') + 1));
}

/** nginx starts new workers asynchronously after a reload; give them a moment. */
const ATTEMPTS = 6;
const ATTEMPT_DELAY_MS = 250;
const REQUEST_TIMEOUT_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Checks made before the steps that cannot be undone or are rate-limited (the ACME
 * order), and after the HTTPS vhost goes live. Each throws an `OperationFailedError`
 * whose message tells the admin what to fix.
 */
@Injectable()
export class PreflightService {
  constructor(
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    @Inject(DnsResolver) private readonly dns: DnsResolver,
    @Inject(HttpClient) private readonly http: HttpClient,
    @Inject(FileStore) private readonly files: FileStore,
    private readonly layout: DataLayout,
    @Inject(ChallengeAnswers) private readonly challenges: ChallengeAnswers,
    @Optional() @Inject(ClusterState) private readonly cluster?: ClusterState | null,
  ) {}

  /**
   * `mta-sts.<domain>` must resolve to this server, and only to it, in every family the CA
   * may use: an AAAA record pointing elsewhere makes HTTP-01 fail even when A is right.
   */
  async assertResolvesHere(domain: DomainName): Promise<void> {
    if (this.cluster && this.options.cluster) return this.assertResolvesToNodes(domain, 'Enable');
    const host = domain.policyHost;
    const problems: string[] = [];
    const families: Array<[4 | 6, 'A' | 'AAAA', string | undefined]> = [
      [4, 'A', this.options.serverIpv4],
      [6, 'AAAA', this.options.serverIpv6],
    ];
    for (const [family, type, expected] of families) {
      let seen: string[];
      try {
        seen = await this.dns.resolveAddresses(host, family);
      } catch (error) {
        throw new OperationFailedError(
          `The ${type} records of ${host} could not be looked up (${(error as Error).message}); try again in a minute.`,
        );
      }
      if (expected === undefined) {
        if (seen.length > 0) {
          problems.push(
            `${host} has ${type} ${seen.join(', ')}, but this server has no IPv${family} address configured: remove that ${type} record, or configure the address.`,
          );
        }
      } else if (seen.length === 0) {
        problems.push(`${host} has no ${type} record: publish ${host} ${type} ${expected}.`);
      } else if (seen.some((address) => canonicalIp(address) !== expected)) {
        problems.push(
          `${host} ${type} is ${seen.join(', ')}, expected only ${expected} (this server): change the ${type} record.`,
        );
      }
    }
    if (problems.length > 0) {
      throw new OperationFailedError(
        `${problems.join(' ')} The certificate is ordered only once the name points here; DNS changes can take a while to become visible.`,
      );
    }
  }

  /**
   * Fetches a probe file over plain HTTP exactly as the CA will fetch the HTTP-01 answer,
   * on every configured address (CAs prefer IPv6 when there is an AAAA record), so a
   * firewall, a wrong vhost or unreadable directories surface before an order is placed
   * (failed authorizations count against the CA's rate limits).
   */
  async assertServesChallenges(domain: DomainName): Promise<void> {
    for (const address of await this.addresses()) await this.probeChallenge(domain, address);
  }

  private async probeChallenge(domain: DomainName, address: string): Promise<void> {
    const token = `mta-sts-probe-${randomBytes(12).toString('hex')}`;
    // Published as an ACME answer is (on every node, in a cluster).
    await this.challenges.publish(token, token);
    try {
      const port = listenPort(this.options.nginx.httpListen[0]);
      const url = `http://${domain.policyHost}/.well-known/acme-challenge/${token}`;
      const response = await this.attempt(url, (last) => last.status === 200 && last.body === token, {
        tls: false,
        address,
        port,
        path: `/.well-known/acme-challenge/${token}`,
        domain,
      });
      if (response.status !== 200 || response.body !== token) {
        // nginx answers a file it may not reach with 403 or, through try_files, with 404:
        // look for the directory that stops its worker user before blaming the vhost.
        const blocked = await this.untraversable(this.layout.challengeDir);
        if (blocked) {
          throw new OperationFailedError(
            `nginx answered ${response.status} for ${url}: its worker user cannot reach the ACME webroot, permission denied on ${blocked.dir} (mode ${blocked.mode}). Make it traversable (chmod o+x ${blocked.dir}) and try again.`,
          );
        }
      }
      if (response.status === 403) {
        throw new OperationFailedError(
          `nginx answered 403 for ${url}: its worker user cannot read ${this.layout.acmeWebroot}. Make every directory on that path traversable (chmod o+x) and try again.`,
        );
      }
      if (response.status !== 200 || response.body !== token) {
        throw new OperationFailedError(
          `${url} answered ${response.status} on ${address} instead of the probe file: port ${port} of this server is not serving the policy host's vhost. Check that nginx includes ${this.options.nginx.sitesDir}.`,
        );
      }
    } finally {
      await this.challenges.withdraw(token);
    }
  }

  /**
   * The first directory on the way to `dir` that nginx's worker user cannot traverse:
   * without execute permission for others and, when the worker user is known (shared
   * layout), neither its owner nor its group with execute permission.
   */
  private async untraversable(dir: string): Promise<{ dir: string; mode: string } | undefined> {
    const worker = this.options.nginx.workerUser;
    const parts = dir.split('/').filter(Boolean);
    for (let depth = 1; depth <= parts.length; depth++) {
      const path = `/${parts.slice(0, depth).join('/')}`;
      const status = await this.files.stat(path);
      if (!status) return undefined;
      const traversable =
        (status.mode & 0o001) !== 0 ||
        (worker !== undefined &&
          ((status.uid === worker.uid && (status.mode & 0o100) !== 0) ||
            (status.gid === worker.gid && (status.mode & 0o010) !== 0)));
      if (!traversable) return { dir: path, mode: status.mode.toString(8).padStart(4, '0') };
    }
    return undefined;
  }

  /**
   * Fetches the live policy over HTTPS with SNI after the vhost went live and compares it
   * with what was written: status 200, exactly `text/plain`, the same bytes, and the
   * certificate that was just installed.
   */
  async assertServesPolicy(domain: DomainName, policyText: string, certificateFingerprint: string): Promise<void> {
    const port = listenPort(this.options.nginx.httpsListen[0]);
    const url = `https://${domain.policyHost}/.well-known/mta-sts.txt`;
    const isRight = (r: HttpResponse) =>
      r.status === 200 &&
      r.headers['content-type'] === 'text/plain' &&
      r.body === policyText &&
      fingerprintOf(r) === certificateFingerprint;
    for (const address of await this.addresses()) {
      const response = await this.attempt(url, isRight, {
        tls: true,
        address,
        port,
        path: '/.well-known/mta-sts.txt',
        domain,
      });
      if (!isRight(response)) throw this.notServing(url, address, response, policyText, certificateFingerprint);
    }
  }

  private notServing(
    url: string,
    address: string,
    response: HttpResponse,
    policyText: string,
    fingerprint: string,
  ): OperationFailedError {
    const found = [
      `status ${response.status}`,
      `Content-Type ${response.headers['content-type'] ?? '(none)'}`,
      response.body === policyText ? 'the expected policy' : 'a different body',
      fingerprintOf(response) === fingerprint ? 'the new certificate' : 'another certificate',
    ];
    return new OperationFailedError(
      `${url} answered on ${address} with ${found.join(', ')}; nginx is not serving the new site.`,
    );
  }

  /**
   * Where the CA and senders will connect: this server's configured public addresses, or
   * in a cluster every live node's.
   */
  private async addresses(): Promise<string[]> {
    if (this.cluster && this.options.cluster) {
      const nodes = (await this.cluster.nodes(ALIVE_SECONDS)).filter((node) => node.alive);
      return [...new Set(nodes.flatMap((node) => node.addresses))];
    }
    return [this.options.serverIpv4, this.options.serverIpv6].filter((address): address is string => !!address);
  }

  /**
   * Before a renewal or a re-issue orders a certificate for a domain that is serving. With
   * several nodes, the name must point at running nodes only, as for Enable: otherwise the
   * order would likely fail validation (and count against the CA's limits) while the
   * current certificate keeps serving anyway. On a single server the name pointed here at
   * Enable, and the CA's own validation says so if it no longer does.
   */
  async assertRenewalReachable(domain: DomainName): Promise<void> {
    if (this.cluster && this.options.cluster) await this.assertResolvesToNodes(domain, 'renewal');
  }

  /**
   * In a cluster, `mta-sts.<domain>` may point at any of the live nodes (each serves every
   * domain), and only at them: the CA validates against one address it picks, and does
   * not try another when that one does not answer. A node that is down must leave DNS
   * (or come back) before a certificate is ordered.
   */
  private async assertResolvesToNodes(domain: DomainName, purpose: 'Enable' | 'renewal'): Promise<void> {
    const then =
      purpose === 'Enable'
        ? 'then choose Enable again.'
        : 'the renewal is tried again later, and the current certificate keeps serving until it expires.';
    const host = domain.policyHost;
    const nodes = await this.cluster!.nodes(ALIVE_SECONDS);
    const owner = new Map(
      nodes.flatMap((node) => node.addresses.map((address) => [canonicalIp(address), node] as const)),
    );
    const seen: string[] = [];
    for (const family of [4, 6] as const) {
      try {
        seen.push(...(await this.dns.resolveAddresses(host, family)));
      } catch (error) {
        throw new OperationFailedError(
          `The addresses of ${host} could not be looked up (${(error as Error).message}); try again in a minute.`,
        );
      }
    }
    const live = nodes.filter((node) => node.alive).flatMap((node) => node.addresses);
    if (seen.length === 0) {
      throw new OperationFailedError(
        `${host} has no A or AAAA record: publish one for each node (${live.join(', ')}). The certificate is ordered only once the name points here.`,
      );
    }
    const strangers = seen.filter((address) => !owner.has(canonicalIp(address)));
    if (strangers.length > 0) {
      throw new OperationFailedError(
        `${host} points at ${strangers.join(', ')}, which is no node of this cluster (${live.join(', ')}): the CA may ask that address for the challenge answer. Change the records to the nodes' addresses only.`,
      );
    }
    const down = seen.filter((address) => owner.get(canonicalIp(address))?.alive === false);
    if (down.length > 0) {
      const names = [...new Set(down.map((address) => owner.get(canonicalIp(address))!.name))].join(', ');
      throw new OperationFailedError(
        `${host} points at ${down.join(', ')}, the address of ${names}, which is not running: the CA may ask it for the challenge answer and fail. Take that address out of ${host} (or start the node again); ${then}`,
      );
    }
  }

  private async attempt(
    url: string,
    done: (response: HttpResponse) => boolean,
    target: { tls: boolean; address: string; port: number; path: string; domain: DomainName },
  ): Promise<HttpResponse> {
    const address = target.address;
    let last: HttpResponse | undefined;
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        last = await this.http.request({
          host: target.domain.policyHost,
          address,
          port: target.port,
          path: target.path,
          tls: target.tls,
          verify: false,
          timeoutMs: REQUEST_TIMEOUT_MS,
          maxBodyBytes: 64 * 1024,
        });
        if (done(last)) return last;
      } catch (error) {
        lastError = error as Error;
      }
      if (attempt < ATTEMPTS) await sleep(ATTEMPT_DELAY_MS * attempt);
    }
    if (last) return last;
    throw new OperationFailedError(
      `${url} could not be fetched from ${address} (${lastError?.message ?? 'no answer'}): check that nginx is running and listening on port ${target.port}.`,
    );
  }
}

function fingerprintOf(response: HttpResponse): string | undefined {
  return response.peerCertificate?.fingerprint256;
}
