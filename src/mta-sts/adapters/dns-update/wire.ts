import type { PublishedType } from '../../domain/dns-publication';

/**
 * The few pieces of DNS wire format (RFC 1035 §3, §4.1) an UPDATE needs that `dns-packet`
 * does not cover: class NONE (RFC 2136 §2.4, §2.5.4) and names in canonical form for TSIG
 * (RFC 8945 §4.3.3).
 */

export const CLASS_IN = 1;
export const CLASS_NONE = 254;
export const CLASS_ANY = 255;
export const TYPE_SOA = 6;
export const TYPE_TSIG = 250;

/** Record types DNS publishing writes, with their codes. */
export const RECORD_TYPES: Record<PublishedType, number> = { A: 1, CNAME: 5, TXT: 16, AAAA: 28 };

/** A name as uncompressed labels, in lower case (canonical form, RFC 4034 §6.2). */
export function nameWire(name: string): Buffer {
  const labels = name.replace(/\.$/, '').toLowerCase().split('.').filter(Boolean);
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii');
    if (bytes.length > 63) throw new Error(`The DNS label ${label} is longer than 63 bytes.`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** TXT RDATA: the value as character-strings of at most 255 bytes each (RFC 1035 §3.3.14). */
export function txtRdata(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const parts: Buffer[] = [];
  for (let offset = 0; offset < bytes.length || offset === 0; offset += 255) {
    const chunk = bytes.subarray(offset, offset + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
    if (bytes.length === 0) break;
  }
  return Buffer.concat(parts);
}

function addressRdata(type: 'A' | 'AAAA', value: string): Buffer {
  if (type === 'A') {
    const octets = value.split('.').map(Number);
    if (octets.length !== 4 || octets.some((octet) => !Number.isInteger(octet) || octet < 0 || octet > 255)) {
      throw new Error(`${value} is not an IPv4 address.`);
    }
    return Buffer.from(octets);
  }
  const [head, tail = ''] = value.includes('::') ? value.split('::') : [value, undefined as unknown as string];
  const groups = (part: string) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = value.includes('::') ? groups(tail) : [];
  const middle = value.includes('::') ? Array(8 - left.length - right.length).fill('0') : [];
  const all = [...left, ...middle, ...right];
  if (all.length !== 8 || all.some((group) => !/^[0-9a-f]{1,4}$/i.test(group))) {
    throw new Error(`${value} is not an IPv6 address.`);
  }
  const out = Buffer.alloc(16);
  all.forEach((group, index) => out.writeUInt16BE(parseInt(group, 16), index * 2));
  return out;
}

/** The RDATA of one value of a record type DNS publishing writes. */
export function rdata(type: PublishedType, value: string): Buffer {
  switch (type) {
    case 'TXT':
      return txtRdata(value);
    case 'CNAME':
      return nameWire(value);
    default:
      return addressRdata(type, value);
  }
}

/** One resource record, uncompressed. */
export function resourceRecord(name: string, type: number, klass: number, ttl: number, data: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(klass, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(data.length, 8);
  return Buffer.concat([nameWire(name), fixed, data]);
}
