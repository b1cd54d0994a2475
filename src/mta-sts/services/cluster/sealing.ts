import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/** SHA-256 of a bundle's text, in hex: nodes compare digests instead of keys. */
export function bundleDigest(bundle: string): string {
  return createHash('sha256').update(bundle, 'utf8').digest('hex');
}

/**
 * Seals a certificate bundle (chain and private key) for the database with AES-256-GCM
 * under the nodes' key. The domain is authenticated with it, so a sealed bundle copied to
 * another domain's row does not open.
 */
export function seal(key: Buffer, domain: string, bundle: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(domain, 'utf8'));
  const body = Buffer.concat([cipher.update(bundle, 'utf8'), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
}

/** Opens what `seal` made; throws when the key, the domain or the bytes differ. */
export function unseal(key: Buffer, domain: string, sealed: string): string {
  const [version, payload] = sealed.split(':', 2);
  if (version !== VERSION || !payload) throw new Error(`the sealed certificate of ${domain} has an unknown format`);
  const bytes = Buffer.from(payload, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
  decipher.setAAD(Buffer.from(domain, 'utf8'));
  decipher.setAuthTag(bytes.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    throw new Error(
      `the sealed certificate of ${domain} does not open with this node's key: every node needs the same cluster key file`,
    );
  }
}
