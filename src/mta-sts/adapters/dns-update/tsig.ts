import { createHmac, timingSafeEqual } from 'node:crypto';
import { CLASS_ANY, TYPE_TSIG, nameWire, resourceRecord } from './wire';

/**
 * TSIG (RFC 8945) with HMAC-SHA256: signs an UPDATE and checks the server's signed answer.
 * `dns-packet` knows the record type but not its contents, so both are built here.
 */

export interface TsigKey {
  /** The key's name, as the server's configuration spells it. */
  readonly name: string;
  readonly algorithm: 'hmac-sha256';
  /** The shared secret, decoded from base64. */
  readonly secret: Buffer;
}

/** TSIG error codes (RFC 8945 §4.3) as the card names them. */
export const TSIG_ERRORS: Record<number, string> = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC' };

const ALGORITHM_NAME = 'hmac-sha256';
/** Seconds of clock difference the server may allow (RFC 8945 §5.2.3 recommends 300). */
const FUDGE = 300;

function timeSigned(at: Date): Buffer {
  const seconds = Math.floor(at.getTime() / 1000);
  const out = Buffer.alloc(6);
  out.writeUInt16BE(Math.floor(seconds / 2 ** 32), 0);
  out.writeUInt32BE(seconds % 2 ** 32, 2);
  return out;
}

/** The TSIG variables the MAC covers after the message (§4.3.3). */
function variables(key: TsigKey, time: Buffer, error: number, other: Buffer): Buffer {
  const classTtl = Buffer.alloc(6);
  classTtl.writeUInt16BE(CLASS_ANY, 0);
  const tail = Buffer.alloc(6);
  tail.writeUInt16BE(FUDGE, 0);
  tail.writeUInt16BE(error, 2);
  tail.writeUInt16BE(other.length, 4);
  return Buffer.concat([nameWire(key.name), classTtl, nameWire(ALGORITHM_NAME), time, tail, other]);
}

function mac(key: TsigKey, parts: readonly Buffer[]): Buffer {
  const hmac = createHmac('sha256', key.secret);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

/** The message with its TSIG record appended (ARCOUNT + 1), and the MAC, to check the answer with. */
export function signMessage(message: Buffer, key: TsigKey, at: Date): { signed: Buffer; requestMac: Buffer } {
  const time = timeSigned(at);
  const requestMac = mac(key, [message, variables(key, time, 0, Buffer.alloc(0))]);
  const id = message.readUInt16BE(0);
  const rdataHead = Buffer.concat([nameWire(ALGORITHM_NAME), time, Buffer.from([FUDGE >> 8, FUDGE & 0xff])]);
  const macSize = Buffer.alloc(2);
  macSize.writeUInt16BE(requestMac.length, 0);
  const rdataTail = Buffer.alloc(6);
  rdataTail.writeUInt16BE(id, 0);
  const record = resourceRecord(
    key.name,
    TYPE_TSIG,
    CLASS_ANY,
    0,
    Buffer.concat([rdataHead, macSize, requestMac, rdataTail]),
  );
  const signed = Buffer.concat([message, record]);
  signed.writeUInt16BE(signed.readUInt16BE(10) + 1, 10);
  return { signed, requestMac };
}

/** Offset just past a (possibly compressed) name. */
function skipName(buffer: Buffer, offset: number): number {
  for (;;) {
    const length = buffer[offset];
    if (length === undefined) throw new Error('The DNS answer ends inside a name.');
    if ((length & 0xc0) === 0xc0) return offset + 2;
    if (length === 0) return offset + 1;
    offset += length + 1;
  }
}

/** Reads an uncompressed name from the wire. */
function readName(buffer: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  for (;;) {
    const length = buffer[offset];
    if (length === undefined || (length & 0xc0) === 0xc0)
      return { name: labels.join('.'), next: skipName(buffer, offset) };
    if (length === 0) return { name: labels.join('.'), next: offset + 1 };
    labels.push(buffer.toString('ascii', offset + 1, offset + 1 + length));
    offset += length + 1;
  }
}

export interface AnswerTsig {
  /** The TSIG error the server put in its answer (0 when none). */
  readonly error: number;
  /** Whether the answer carries a MAC, and it is right for the request. */
  readonly verified: boolean;
  readonly signed: boolean;
}

/**
 * Finds the TSIG record of an answer (the last additional record) and checks its MAC:
 * the request's MAC, then the answer without its TSIG record, with the original id.
 */
export function checkAnswer(answer: Buffer, key: TsigKey, requestMac: Buffer): AnswerTsig {
  const counts = [4, 6, 8, 10].map((at) => answer.readUInt16BE(at));
  const arcount = counts[3];
  if (arcount === 0) return { error: 0, verified: false, signed: false };
  let offset = 12;
  for (let i = 0; i < counts[0]; i++) offset = skipName(answer, offset) + 4;
  let lastStart = -1;
  let lastType = 0;
  const total = counts[1] + counts[2] + counts[3];
  for (let i = 0; i < total; i++) {
    lastStart = offset;
    offset = skipName(answer, offset);
    lastType = answer.readUInt16BE(offset);
    offset += 10 + answer.readUInt16BE(offset + 8);
  }
  if (lastType !== TYPE_TSIG) return { error: 0, verified: false, signed: false };
  const owner = readName(answer, lastStart);
  let at = owner.next + 10;
  const algorithm = readName(answer, at);
  at = algorithm.next;
  const time = answer.subarray(at, at + 6);
  const macSize = answer.readUInt16BE(at + 8);
  const answerMac = answer.subarray(at + 10, at + 10 + macSize);
  at += 10 + macSize;
  const originalId = answer.readUInt16BE(at);
  const error = answer.readUInt16BE(at + 2);
  const other = answer.subarray(at + 6, at + 6 + answer.readUInt16BE(at + 4));
  if (macSize === 0) return { error, verified: false, signed: false };
  const unsigned = Buffer.from(answer.subarray(0, lastStart));
  unsigned.writeUInt16BE(originalId, 0);
  unsigned.writeUInt16BE(arcount - 1, 10);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(requestMac.length, 0);
  const expected = mac(key, [length, requestMac, unsigned, variables(key, time, error, other)]);
  const verified = expected.length === answerMac.length && timingSafeEqual(expected, answerMac);
  return { error, verified, signed: true };
}
