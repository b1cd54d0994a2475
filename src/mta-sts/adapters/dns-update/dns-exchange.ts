import { randomInt } from 'node:crypto';
import { Socket } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { DnsUpdateError } from '../../domain/errors';
import { TSIG_ERRORS, TsigKey, checkAnswer, signMessage } from './tsig';
import type { LiveRRset, PublishedType, ZoneUpdate } from '../../domain/dns-publication';
import { updateMessage } from './update-message';

/** A zone's primary server, and the key its updates are signed with. */
export interface UpdateServer {
  readonly host: string;
  readonly port: number;
  readonly key: TsigKey;
  readonly timeoutMs: number;
}

const RCODES: Record<number, string> = {
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
};

/** `host:port`, an IPv6 host in brackets, as messages name a server. */
export const where = (server: Pick<UpdateServer, 'host' | 'port'>) =>
  `${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`;

/** One DNS message over TCP (RFC 1035 §4.2.2: two-byte length, then the message). */
export function exchange(server: Pick<UpdateServer, 'host' | 'port' | 'timeoutMs'>, message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let received = Buffer.alloc(0);
    const fail = (code: string, text: string) => {
      socket.destroy();
      reject(new DnsUpdateError(text, code));
    };
    socket.setTimeout(server.timeoutMs, () =>
      fail(
        'TIMEOUT',
        `The DNS server at ${where(server)} did not answer within ${server.timeoutMs / 1000} s. Check that it runs and that this server may reach it over TCP.`,
      ),
    );
    socket.on('error', (error: NodeJS.ErrnoException) =>
      fail(
        'UNREACHABLE',
        `The DNS server at ${where(server)} could not be reached (${error.code ?? error.message}). Check its address and port, and that it runs.`,
      ),
    );
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        socket.end();
        resolve(received.subarray(2, 2 + received.readUInt16BE(0)));
      }
    });
    socket.on('close', () =>
      fail('UNREACHABLE', `The DNS server at ${where(server)} closed the connection without an answer.`),
    );
    socket.connect(server.port, server.host, () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length, 0);
      socket.write(Buffer.concat([length, message]));
    });
  });
}

/**
 * Sends one signed UPDATE for `zone` and resolves once the server applied it; otherwise
 * throws a `DnsUpdateError` naming the server's answer and what to do about it.
 */
export async function sendUpdate(server: UpdateServer, zone: string, update: ZoneUpdate, now: Date): Promise<void> {
  const id = randomInt(0, 0x10000);
  const { signed, requestMac } = signMessage(updateMessage(id, zone, update), server.key, now);
  const answer = await exchange(server, signed);
  if (answer.length < 12 || answer.readUInt16BE(0) !== id) {
    throw new DnsUpdateError(`The DNS server at ${where(server)} sent an answer to another message.`, 'FORMERR');
  }
  const rcode = answer.readUInt16BE(2) & 0x0f;
  const tsig = checkAnswer(answer, server.key, requestMac);
  const keyName = server.key.name;
  if (tsig.error && TSIG_ERRORS[tsig.error]) {
    const code = TSIG_ERRORS[tsig.error];
    const advice =
      code === 'BADKEY'
        ? `does not know the key ${keyName}: check the key name in both configurations.`
        : code === 'BADSIG'
          ? `rejected the signature made with key ${keyName}: the secret differs from the server's.`
          : code === 'BADTIME'
            ? 'rejected the signature’s time: the clocks of the two servers differ by more than 5 minutes.'
            : 'rejected the signature.';
    throw new DnsUpdateError(`The DNS server at ${where(server)} ${advice} (${code})`, code);
  }
  if (rcode === 0 && tsig.signed && !tsig.verified) {
    throw new DnsUpdateError(
      `The DNS server at ${where(server)} answered with a signature that does not verify with key ${keyName}; the change may not have been made by that server.`,
      'BADSIG',
    );
  }
  if (rcode === 0) return;
  const code = RCODES[rcode] ?? `RCODE ${rcode}`;
  let advice: string;
  switch (code) {
    case 'REFUSED':
      advice = `refused the update of ${zone}: check that it is the primary server of the zone and that its update policy allows key ${keyName}.`;
      break;
    case 'NOTAUTH':
      advice = `is not authoritative for ${zone}, or does not accept key ${keyName} for it.`;
      break;
    case 'NOTZONE':
      advice = `says a record name is outside the zone ${zone}.`;
      break;
    case 'NXRRSET':
    case 'YXRRSET':
    case 'NXDOMAIN':
    case 'YXDOMAIN':
      advice = `holds other records than were read a moment ago (someone changed the zone meanwhile); nothing was written, the next attempt reads them again.`;
      break;
    case 'SERVFAIL':
      advice = `failed to apply the update (SERVFAIL): its log says why, often a zone file it cannot write.`;
      break;
    default:
      advice = `refused the update.`;
  }
  throw new DnsUpdateError(`The DNS server at ${where(server)} ${advice} (${code})`, code);
}

/** The values of an RRset as the server holds it (a non-recursive query over TCP). */
export async function queryRRset(
  server: Pick<UpdateServer, 'host' | 'port' | 'timeoutMs'>,
  name: string,
  type: PublishedType | 'NS',
): Promise<LiveRRset> {
  const id = randomInt(0, 0x10000);
  const message = dnsPacket.encode({ type: 'query', id, flags: 0, questions: [{ type, name, class: 'IN' }] });
  const answer = dnsPacket.decode(await exchange(server, message));
  const rcode = (answer.flags ?? 0) & 0x0f;
  if (rcode !== 0 && rcode !== 3) {
    throw new DnsUpdateError(
      `The DNS server at ${where(server)} answered ${RCODES[rcode] ?? rcode} for ${name} ${type}: check that it serves the zone.`,
      RCODES[rcode] ?? `RCODE ${rcode}`,
    );
  }
  const wanted = name.replace(/\.$/, '').toLowerCase();
  const values: string[] = [];
  let cname: string | undefined;
  for (const record of answer.answers ?? []) {
    if (record.name.toLowerCase() !== wanted) continue;
    if (record.type === 'CNAME' && type !== 'CNAME') cname = String(record.data);
    else if (record.type === type) {
      values.push(
        type === 'TXT' ? (record.data as Buffer[]).map((part) => part.toString('utf8')).join('') : String(record.data),
      );
    }
  }
  return { name: wanted, type: type as PublishedType, values, ...(cname && { cname }) };
}
