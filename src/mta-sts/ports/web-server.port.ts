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
 * serving. Whether a change needs a reload at all is the implementation's business (the
 * nginx adapter's shared layout serves, stops serving and renews hosts without one).
 */
export abstract class WebServer {
  /** From now on, the policy host is served as described. No-op when it already is. */
  abstract applySite(site: PolicySite): Promise<void>;
  /** From now on, the policy host is no longer served. No-op when it was not. */
  abstract removeSite(host: string): Promise<void>;
  /**
   * A bundle file was replaced (a renewal): from now on, the new certificate is served.
   * Fails when it cannot be, so the caller can put the previous file back.
   */
  abstract reload(): Promise<void>;
  /**
   * Makes the running server load what is on disk. Start-up calls it once: a stop between
   * writing a file and reloading would otherwise leave the written change unserved, since
   * `applySite` skips files that are already as wanted. Does nothing when the server is
   * not running.
   */
  abstract resync(): Promise<void>;
  /**
   * Why the server's configuration on disk would not load (nginx -t), or undefined when it
   * would. For health checks; it changes nothing.
   */
  abstract configurationProblem(): Promise<string | undefined>;
}
