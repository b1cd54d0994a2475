import { DnsResolver } from '../../ports/dns-resolver.port';
import { reportMediaType } from './report-decoder';

/** The largest report mail read; a larger one is set aside as unreadable. */
export const MAIL_LIMIT_BYTES = 16 * 1024 * 1024;

/** A report attached to a mail (RFC 8460 §5.3.1). */
export interface ReportPart {
  readonly body: Buffer;
  readonly contentType: string;
  readonly fileName?: string;
}

export interface ReportMail {
  /** The parts that are TLS reports by media type or file name. */
  readonly reports: readonly ReportPart[];
  /** The DKIM verdict, e.g. `pass (d=google.com)`, `fail (d=example.net: body hash did not verify)`, `none`. */
  readonly dkim: string;
  readonly subject: string | null;
}

/**
 * Reads a report mail: its TLS report parts (`application/tlsrpt+gzip` or `+json`, or a
 * `.json.gz`/`.json` attachment) and whether its DKIM signature verifies, looked up through
 * the module's own resolver. Throws when the message cannot be parsed at all.
 */
export async function readReportMail(source: Buffer, dns: DnsResolver): Promise<ReportMail> {
  // Loaded on first use: a panel without a report mailbox never pays for them at start.
  const { simpleParser } = await import('mailparser');
  const parsed = await simpleParser(source, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true });
  const reports = parsed.attachments
    .filter((part) => reportMediaType(part.contentType, part.filename) !== undefined)
    .map((part) => ({ body: part.content, contentType: part.contentType, fileName: part.filename }));
  return { reports, dkim: await dkimVerdict(source, dns), subject: parsed.subject ?? null };
}

async function dkimVerdict(source: Buffer, dns: DnsResolver): Promise<string> {
  const { dkimVerify } = await import('mailauth/lib/dkim/verify');
  try {
    const verified = await dkimVerify(source, {
      // mailauth asks for TXT records as lists of strings; the resolver joins them already.
      resolver: async (name: string, type: string) => {
        if (type !== 'TXT') throw Object.assign(new Error(`no ${type} look-ups here`), { code: 'ENOTFOUND' });
        const records = await dns.resolveTxt(name);
        if (records.length === 0) throw Object.assign(new Error(`${name} has no TXT record`), { code: 'ENOTFOUND' });
        return records.map((record) => [record]);
      },
    });
    const results = verified.results.filter((result) => result.status.result !== 'none');
    if (results.length === 0) return 'none';
    const best = results.find((result) => result.status.result === 'pass') ?? results[0];
    const why = best.status.result === 'pass' ? '' : best.status.comment ? `: ${best.status.comment}` : '';
    return `${best.status.result} (d=${best.signingDomain}${why})`.slice(0, 250);
  } catch (error) {
    return `temperror (${(error as Error).message})`.slice(0, 250);
  }
}
