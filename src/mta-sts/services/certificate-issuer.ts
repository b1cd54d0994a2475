import { Inject, Injectable } from '@nestjs/common';
import type { CertificateInfo } from '../domain/certificate';
import { DomainName } from '../domain/hostname';
import { CertificateAuthority, RenewalInfo } from '../ports/certificate-authority.port';
import { WebServer } from '../ports/web-server.port';
import { AuditService } from './audit.service';
import { CertificateStore, StoredCertificate } from './certificate-store';
import { ChallengeAnswers } from './challenge-files';
import { PreflightService } from './preflight.service';

/**
 * Certificates from the CA to the policy host: an order answered over HTTP-01, the bundle
 * stored, and (for a renewal) the web server told, with the previous bundle put back when
 * it cannot serve the new one. A CA that forgot the ACME account is recorded in the trail.
 * With several nodes, a renewal orders only while the name points at running nodes.
 */
@Injectable()
export class CertificateIssuer {
  constructor(
    @Inject(CertificateAuthority) private readonly ca: CertificateAuthority,
    @Inject(WebServer) private readonly web: WebServer,
    private readonly certificates: CertificateStore,
    private readonly challenges: ChallengeAnswers,
    private readonly audit: AuditService,
    private readonly preflight: PreflightService,
  ) {}

  /** The CA's directory: a certificate is reused only under the directory that issued it. */
  get directoryUrl(): string {
    return this.ca.directoryUrl;
  }

  /** The certificate stored for the domain, if any. */
  stored(domain: string): Promise<StoredCertificate | undefined> {
    return this.certificates.load(domain);
  }

  /** The CA's suggested renewal window (ACME ARI), when it offers one. */
  renewalInfo(certificateId: string): Promise<RenewalInfo | undefined> {
    return this.ca.renewalInfo(certificateId);
  }

  /** A first certificate for the policy host, stored; the web server is told by the caller's next step. */
  async issue(name: DomainName): Promise<CertificateInfo> {
    const issued = await this.ca.issue(name.policyHost, this.challenges);
    await this.audit.recordAccountRecovery(name.ascii, issued);
    return (await this.certificates.save(name.ascii, issued)).info;
  }

  /** A new certificate replacing the served one; the previous bundle comes back if it cannot be served. */
  async replace(name: DomainName, replaces: string | undefined): Promise<CertificateInfo> {
    await this.preflight.assertRenewalReachable(name);
    const issued = await this.ca.issue(name.policyHost, this.challenges, { replaces });
    await this.audit.recordAccountRecovery(name.ascii, issued);
    const { info, previous } = await this.certificates.save(name.ascii, issued);
    try {
      await this.web.reload();
    } catch (error) {
      await this.certificates.restore(name.ascii, previous);
      await this.web.reload().catch(() => undefined);
      throw error;
    }
    return info;
  }
}
