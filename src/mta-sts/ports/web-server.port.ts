/** What the web server must serve for one domain's policy host. */
export interface PolicySite {
  /** `mta-sts.<domain>` */
  readonly host: string;
  /** Absolute path of the policy file served at `/.well-known/mta-sts.txt`. */
  readonly policyFile: string;
  /** Directory whose `.well-known/acme-challenge/` holds HTTP-01 answers. */
  readonly acmeWebroot: string;
  /**
   * Present once a certificate exists: then the HTTPS server block is added. The file holds
   * the chain and the private key, so replacing both is one atomic rename.
   */
  readonly tls?: { readonly bundleFile: string };
}

/**
 * The web server that serves policy hosts. Every change is tested before it is applied
 * and rolled back when the test or the reload fails, so the previous configuration keeps
 * serving.
 */
export abstract class WebServer {
  /** Writes (or rewrites) the site of one policy host and reloads. No-op when unchanged. */
  abstract applySite(site: PolicySite): Promise<void>;
  /** Removes the site of one policy host and reloads. No-op when absent. */
  abstract removeSite(host: string): Promise<void>;
  /** Tests the configuration and reloads, e.g. after a certificate file was replaced. */
  abstract reload(): Promise<void>;
}
