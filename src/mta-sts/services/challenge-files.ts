import { join } from 'node:path';
import { InvalidInputError } from '../domain/errors';
import { Http01Responder } from '../ports/certificate-authority.port';
import { FileStore } from '../ports/file-store.port';

/** ACME tokens are base64url (RFC 8555 §8.3); anything else could escape the webroot. */
const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * Where HTTP-01 answers (and the preflight's probe files) are published: as files on this
 * server (`ChallengeFiles`), or on every node of a cluster (`SharedChallenges`).
 */
export abstract class ChallengeAnswers implements Http01Responder {
  /** Resolves once the answer is served (by every node, in a cluster). */
  abstract publish(token: string, keyAuthorization: string): Promise<void>;
  abstract withdraw(token: string): Promise<void>;
}

/** HTTP-01 answers as files under the webroot that every port 80 vhost serves. */
export class ChallengeFiles extends ChallengeAnswers {
  constructor(
    private readonly files: FileStore,
    readonly challengeDir: string,
  ) {
    super();
  }

  async publish(token: string, keyAuthorization: string): Promise<void> {
    await this.files.writeAtomic(this.path(token), keyAuthorization, 0o644);
  }

  async withdraw(token: string): Promise<void> {
    await this.files.remove(this.path(token));
  }

  /** The tokens whose answers are on disk now. */
  async tokens(): Promise<string[]> {
    return (await this.files.list(this.challengeDir)).filter((name) => TOKEN.test(name));
  }

  private path(token: string): string {
    if (!TOKEN.test(token)) throw new InvalidInputError('The ACME challenge token has unexpected characters.');
    return join(this.challengeDir, token);
  }
}
