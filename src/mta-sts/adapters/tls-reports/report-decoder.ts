import { gunzipSync } from 'node:zlib';

/** Caps on a report body: a gzip bomb is refused, not inflated. */
export const DECODE_LIMITS = { compressedBytes: 1024 * 1024, jsonBytes: 8 * 1024 * 1024 } as const;

export type DecodedReport = { readonly json: unknown } | { readonly rejected: string };

/** The media types of RFC 8460 §5.3, and the file names of §5.3.1 attachments. */
export function reportMediaType(contentType: string | undefined, fileName?: string): 'gzip' | 'json' | undefined {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/tlsrpt+gzip') return 'gzip';
  if (type === 'application/tlsrpt+json') return 'json';
  const name = (fileName ?? '').toLowerCase();
  if (name.endsWith('.json.gz')) return 'gzip';
  if (name.endsWith('.json')) return 'json';
  return undefined;
}

/**
 * The report's JSON from a body as sent: gunzipped within `jsonBytes`, parsed, or the
 * reason it cannot be (each reason fit to store beside the rejected report).
 */
export function decodeReportBody(body: Buffer, kind: 'gzip' | 'json' | undefined): DecodedReport {
  if (!kind)
    return {
      rejected: 'not a TLS report: the media type is neither application/tlsrpt+gzip nor application/tlsrpt+json',
    };
  if (body.length === 0) return { rejected: 'the body is empty' };
  let raw: Buffer;
  if (kind === 'gzip') {
    if (body.length > DECODE_LIMITS.compressedBytes) {
      return { rejected: `the compressed report is larger than ${DECODE_LIMITS.compressedBytes} bytes` };
    }
    try {
      raw = gunzipSync(body, { maxOutputLength: DECODE_LIMITS.jsonBytes });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
        return {
          rejected: `the report decompresses to more than ${DECODE_LIMITS.jsonBytes} bytes; it was not inflated further`,
        };
      }
      return { rejected: `the body is not valid gzip (${code ?? (error as Error).message})` };
    }
  } else {
    if (body.length > DECODE_LIMITS.jsonBytes)
      return { rejected: `the report is larger than ${DECODE_LIMITS.jsonBytes} bytes` };
    raw = body;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return { rejected: 'the report is not valid UTF-8' };
  }
  try {
    return { json: JSON.parse(text.replace(/^\uFEFF/, '')) as unknown };
  } catch (error) {
    return { rejected: `the report is not valid JSON (${(error as Error).message.slice(0, 200)})` };
  }
}
