import { Logger } from '@nestjs/common';
import { OperationFailedError } from '../../domain/errors';
import { ClusterState } from '../../ports/cluster-state.port';
import { ChallengeAnswers, ChallengeFiles } from '../challenge-files';
import { ALIVE_SECONDS } from './cluster-timing';

/** How long a new answer may take to reach every live node before the order is given up. */
const ACK_TIMEOUT_MS = 30_000;
const ACK_POLL_MS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * HTTP-01 answers on every node. The CA may fetch the answer from any address of
 * `mta-sts.<domain>`, so an answer counts as published only once every live node has
 * written it to its own webroot and said so in the database. The answer goes into the
 * database, its notice reaches each node (`sync`), each writes the file and acknowledges.
 */
export class SharedChallenges extends ChallengeAnswers {
  private readonly logger = new Logger('MtaSts');

  constructor(
    private readonly local: ChallengeFiles,
    private readonly state: ClusterState,
    private readonly node: string,
    private readonly timeoutMs = ACK_TIMEOUT_MS,
  ) {
    super();
  }

  async publish(token: string, keyAuthorization: string): Promise<void> {
    await this.state.addChallenge(token, keyAuthorization);
    await this.local.publish(token, keyAuthorization);
    await this.state.acknowledge(token, this.node);
    await this.everyNodeHas(token);
  }

  async withdraw(token: string): Promise<void> {
    await this.state.removeChallenge(token);
    await this.local.withdraw(token);
  }

  /** Brings this node's file for `token` in line with the database (a change notice). */
  async sync(token: string): Promise<void> {
    const answer = await this.state.challenge(token);
    if (answer === undefined) {
      await this.local.withdraw(token);
      return;
    }
    await this.local.publish(token, answer);
    await this.state.acknowledge(token, this.node);
  }

  /** Every answer in the database written here, every other one removed (after missed notices). */
  async syncAll(): Promise<void> {
    const wanted = new Set(await this.state.challengeTokens());
    for (const token of wanted) await this.sync(token);
    for (const token of await this.local.tokens()) {
      if (!wanted.has(token)) await this.local.withdraw(token);
    }
  }

  private async everyNodeHas(token: string): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    let missing: string[] = [];
    while (Date.now() < deadline) {
      const live = (await this.state.nodes(ALIVE_SECONDS)).filter((node) => node.alive).map((node) => node.name);
      const written = new Set(await this.state.acknowledgements(token));
      missing = live.filter((node) => !written.has(node));
      if (missing.length === 0) return;
      await sleep(ACK_POLL_MS);
    }
    this.logger.warn(`HTTP-01 answer ${token} not written by ${missing.join(', ')} in time`);
    throw new OperationFailedError(
      `The ACME challenge answer did not reach every node within ${this.timeoutMs / 1000} s: ${missing.join(', ')} did not write it. The CA may ask any node, so the order was not sent. Check that the panel on ${missing.join(', ')} runs and reaches the database, or remove that node (see README, "Several nodes").`,
    );
  }
}
