import { readStsRecords, readTlsRptRecords } from '../../src/mta-sts/domain/txt-records';

const SPF = 'v=spf1 mx -all';

describe('readStsRecords', () => {
  it('gives the id of a single valid record', () => {
    const reading = readStsRecords(['v=STSv1; id=20261122T101500']);
    expect(reading).toEqual({ candidates: ['v=STSv1; id=20261122T101500'], id: '20261122T101500' });
  });

  it('ignores records that do not start with v=STSv1, such as SPF', () => {
    const reading = readStsRecords([SPF, 'google-site-verification=abc', 'v=STSv1; id=abc123']);
    expect(reading.candidates).toEqual(['v=STSv1; id=abc123']);
    expect(reading.id).toBe('abc123');
    expect(reading.problem).toBeUndefined();
  });

  it('reports that there is no record when nothing starts with v=STSv1', () => {
    const reading = readStsRecords([SPF]);
    expect(reading.candidates).toEqual([]);
    expect(reading.id).toBeUndefined();
    expect(reading.problem).toBe('no TXT record starting with v=STSv1');
  });

  it('reports that there is no record for an empty answer', () => {
    expect(readStsRecords([]).problem).toBe('no TXT record starting with v=STSv1');
  });

  it('reports two v=STSv1 records, saying senders ignore all of them', () => {
    const reading = readStsRecords(['v=STSv1; id=old1', 'v=STSv1; id=new2']);
    expect(reading.candidates).toEqual(['v=STSv1; id=old1', 'v=STSv1; id=new2']);
    expect(reading.id).toBeUndefined();
    expect(reading.problem).toBe('2 TXT records start with v=STSv1, and senders then ignore all of them');
  });

  it('accepts a record without a space after the semicolon', () => {
    const reading = readStsRecords(['v=STSv1;id=abc']);
    expect(reading.id).toBe('abc');
    expect(reading.problem).toBeUndefined();
  });

  it('accepts extra fields and a trailing semicolon', () => {
    const reading = readStsRecords(['v=STSv1; id=abc123; ext=value;']);
    expect(reading.id).toBe('abc123');
    expect(reading.problem).toBeUndefined();
  });

  it('accepts an id of exactly 32 letters and digits', () => {
    const id = 'A'.repeat(16) + '0123456789abcdef';
    expect(readStsRecords([`v=STSv1; id=${id}`]).id).toBe(id);
  });

  it('rejects an id with a hyphen', () => {
    const reading = readStsRecords(['v=STSv1; id=2026-11-22']);
    expect(reading.id).toBeUndefined();
    expect(reading.problem).toBe('the id "2026-11-22" is not 1 to 32 letters and digits');
  });

  it('rejects an id of 33 characters', () => {
    const id = 'a'.repeat(33);
    const reading = readStsRecords([`v=STSv1; id=${id}`]);
    expect(reading.id).toBeUndefined();
    expect(reading.problem).toBe(`the id "${id}" is not 1 to 32 letters and digits`);
  });

  it('rejects an empty id', () => {
    const reading = readStsRecords(['v=STSv1; id=']);
    expect(reading.id).toBeUndefined();
    expect(reading.problem).toBe('the id "" is not 1 to 32 letters and digits');
  });

  it.each(['v=STSv1', 'v=STSv1;', 'v=STSv1; ID=abc'])('rejects "%s", which has no id', (record) => {
    const reading = readStsRecords([record]);
    expect(reading.candidates).toEqual([record]);
    expect(reading.id).toBeUndefined();
    expect(reading.problem).toBe('the record is not of the form v=STSv1; id=<id>');
  });

  it('rejects a record with a field that is not key=value', () => {
    const reading = readStsRecords(['v=STSv1; id=abc; junk']);
    expect(reading.id).toBeUndefined();
    expect(reading.problem).toBe('the record is not of the form v=STSv1; id=<id>');
  });

  it('does not take v=STSv10 for a v=STSv1 record', () => {
    const reading = readStsRecords(['v=STSv10; id=x']);
    expect(reading.candidates).toEqual([]);
    expect(reading.problem).toBe('no TXT record starting with v=STSv1');
  });

  it('does not take a record whose version differs in case', () => {
    expect(readStsRecords(['V=stsv1; id=abc']).candidates).toEqual([]);
  });

  it('does not count v=STSv10 as a second record next to a valid one', () => {
    const reading = readStsRecords(['v=STSv10; id=x', 'v=STSv1; id=abc']);
    expect(reading.candidates).toEqual(['v=STSv1; id=abc']);
    expect(reading.id).toBe('abc');
  });
});

describe('readTlsRptRecords', () => {
  it('gives the single rua address of a valid record', () => {
    const reading = readTlsRptRecords(['v=TLSRPTv1; rua=mailto:tls-reports@example.com']);
    expect(reading).toEqual({
      candidates: ['v=TLSRPTv1; rua=mailto:tls-reports@example.com'],
      rua: ['mailto:tls-reports@example.com'],
    });
  });

  it('gives every address of a comma-separated rua list, spaces trimmed', () => {
    const reading = readTlsRptRecords(['v=TLSRPTv1; rua=mailto:a@example.com, https://reports.example.net/tlsrpt']);
    expect(reading.rua).toEqual(['mailto:a@example.com', 'https://reports.example.net/tlsrpt']);
    expect(reading.problem).toBeUndefined();
  });

  it('ignores records that do not start with v=TLSRPTv1', () => {
    const reading = readTlsRptRecords([SPF, 'v=TLSRPTv1;rua=mailto:tls@example.com']);
    expect(reading.candidates).toEqual(['v=TLSRPTv1;rua=mailto:tls@example.com']);
    expect(reading.rua).toEqual(['mailto:tls@example.com']);
  });

  it('reports that there is no record', () => {
    const reading = readTlsRptRecords([SPF]);
    expect(reading.rua).toBeUndefined();
    expect(reading.problem).toBe('no TXT record starting with v=TLSRPTv1');
  });

  it('reports a record without rua', () => {
    const reading = readTlsRptRecords(['v=TLSRPTv1;']);
    expect(reading.rua).toBeUndefined();
    expect(reading.problem).toBe('the record has no rua= address');
  });

  it('reports a record with an empty rua', () => {
    expect(readTlsRptRecords(['v=TLSRPTv1; rua=']).problem).toBe('the record has no rua= address');
  });

  it('reports a rua that is not a mailto: or https: URI, naming it', () => {
    const reading = readTlsRptRecords(['v=TLSRPTv1; rua=mailto:ok@example.com,tls-reports@example.com']);
    expect(reading.rua).toBeUndefined();
    expect(reading.problem).toBe('rua "tls-reports@example.com" is not a mailto: or https: URI');
  });

  it('reports an http: rua as not a mailto: or https: URI', () => {
    expect(readTlsRptRecords(['v=TLSRPTv1; rua=http://reports.example.net/']).problem).toBe(
      'rua "http://reports.example.net/" is not a mailto: or https: URI',
    );
  });

  it('reports two TLS-RPT records, saying senders use none of them', () => {
    const reading = readTlsRptRecords(['v=TLSRPTv1; rua=mailto:a@example.com', 'v=TLSRPTv1; rua=mailto:b@example.com']);
    expect(reading.candidates).toHaveLength(2);
    expect(reading.rua).toBeUndefined();
    expect(reading.problem).toBe('2 TLS-RPT records; senders use none of them');
  });
});
