import { ClusterState } from '../../ports/cluster-state.port';
import { BundleMirror } from '../certificate-store';
import { bundleDigest, seal, unseal } from './sealing';

/** Certificate bundles in the shared database, sealed with the nodes' key. */
export class SharedBundles implements BundleMirror {
  constructor(
    private readonly state: ClusterState,
    private readonly key: Buffer,
  ) {}

  async put(domain: string, bundle: string): Promise<void> {
    await this.state.putCertificate(domain, { sealed: seal(this.key, domain, bundle), digest: bundleDigest(bundle) });
  }

  async get(domain: string): Promise<string | undefined> {
    const shared = await this.state.certificate(domain);
    return shared && unseal(this.key, domain, shared.sealed);
  }

  remove(domain: string): Promise<void> {
    return this.state.removeCertificate(domain);
  }
}
