import { join } from 'node:path';
import { InvalidInputError } from '../domain/errors';
import { Http01Responder } from '../ports/certificate-authority.port';
import { FileStore } from '../ports/file-store.port';

/** ACME tokens are base64url (RFC 8555 §8.3); anything else could escape the webroot. */
const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

/** HTTP-01 answers as files under the webroot that every port 80 vhost serves. */
export class ChallengeFiles implements Http01Responder {
  constructor(
    private readonly files: FileStore,
    private readonly challengeDir: string,
  ) {}

  async publish(token: string, keyAuthorization: string): Promise<void> {
    await this.files.writeAtomic(this.path(token), keyAuthorization, 0o644);
  }

  async withdraw(token: string): Promise<void> {
    await this.files.remove(this.path(token));
  }

  private path(token: string): string {
    if (!TOKEN.test(token)) throw new InvalidInputError('The ACME challenge token has unexpected characters.');
    return join(this.challengeDir, token);
  }
}
