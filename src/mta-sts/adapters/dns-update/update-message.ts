import type { ZoneUpdate } from '../../domain/dns-publication';
import { CLASS_IN, CLASS_NONE, RECORD_TYPES, TYPE_SOA, nameWire, rdata, resourceRecord } from './wire';

/** The UPDATE message for `zone`, unsigned (opcode 5 in the header, §2.2). */
export function updateMessage(id: number, zone: string, update: ZoneUpdate): Buffer {
  const prerequisites: Buffer[] = [];
  for (const rrset of update.exactly ?? []) {
    for (const value of rrset.values) {
      prerequisites.push(resourceRecord(rrset.name, RECORD_TYPES[rrset.type], CLASS_IN, 0, rdata(rrset.type, value)));
    }
  }
  for (const rrset of update.absent ?? []) {
    prerequisites.push(resourceRecord(rrset.name, RECORD_TYPES[rrset.type], CLASS_NONE, 0, Buffer.alloc(0)));
  }
  const changes: Buffer[] = [];
  for (const rrset of update.remove ?? []) {
    for (const value of rrset.values) {
      changes.push(resourceRecord(rrset.name, RECORD_TYPES[rrset.type], CLASS_NONE, 0, rdata(rrset.type, value)));
    }
  }
  for (const rrset of update.add ?? []) {
    for (const value of rrset.values) {
      changes.push(resourceRecord(rrset.name, RECORD_TYPES[rrset.type], CLASS_IN, rrset.ttl, rdata(rrset.type, value)));
    }
  }
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(5 << 11, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(prerequisites.length, 6);
  header.writeUInt16BE(changes.length, 8);
  const zoneSection = Buffer.concat([nameWire(zone), Buffer.from([0, TYPE_SOA, 0, CLASS_IN])]);
  return Buffer.concat([header, zoneSection, ...prerequisites, ...changes]);
}
