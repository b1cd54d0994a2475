/**
 * SMTP replies as a client reads them (RFC 5321 §4.2): `250-first`, `250-...`, `250 last`.
 * Pure: bytes in, replies out, so the line handling can be tested without sockets.
 */

/** RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; anything this long is not SMTP. */
export const MAX_REPLY_LINE_BYTES = 4096;
/** A reply with more lines than this is not an answer to EHLO or STARTTLS. */
export const MAX_REPLY_LINES = 100;

export interface SmtpReply {
  readonly code: number;
  /** The text of each line, without the code, the separator and the line break. */
  readonly lines: readonly string[];
}

export type SmtpReplyErrorKind = 'line-too-long' | 'too-many-lines' | 'malformed';

/** The bytes received are not an SMTP reply; `line` is the offending line, shortened. */
export class SmtpReplyError extends Error {
  constructor(
    readonly kind: SmtpReplyErrorKind,
    readonly line: string,
  ) {
    super(`${kind}: ${line}`);
  }
}

const REPLY_LINE = /^([2-5][0-9][0-9])(?:([ -])(.*))?$/s;
const LF = 0x0a;

/**
 * Collects bytes as they arrive (a reply may be split anywhere, even inside a line
 * break) and hands out each reply once its last line is complete.
 */
export class SmtpReplyReader {
  private partial: Buffer = Buffer.alloc(0);
  private code: number | undefined;
  private lines: string[] = [];

  /** True while bytes of an unfinished reply are held. */
  get pending(): boolean {
    return this.partial.length > 0 || this.lines.length > 0;
  }

  /** Feeds received bytes; returns the replies they complete. Throws `SmtpReplyError`. */
  push(chunk: Buffer): SmtpReply[] {
    const replies: SmtpReply[] = [];
    let data = this.partial.length > 0 ? Buffer.concat([this.partial, chunk]) : chunk;
    for (let end = data.indexOf(LF); end >= 0; end = data.indexOf(LF)) {
      const reply = this.line(data.subarray(0, end));
      if (reply) replies.push(reply);
      data = data.subarray(end + 1);
    }
    if (data.length > MAX_REPLY_LINE_BYTES) throw new SmtpReplyError('line-too-long', shorten(data));
    this.partial = Buffer.from(data);
    return replies;
  }

  private line(bytes: Buffer): SmtpReply | undefined {
    if (bytes.length > MAX_REPLY_LINE_BYTES) throw new SmtpReplyError('line-too-long', shorten(bytes));
    const text = bytes.toString('utf8').replace(/\r$/, '');
    const match = REPLY_LINE.exec(text);
    if (!match) throw new SmtpReplyError('malformed', shorten(bytes));
    const code = Number(match[1]);
    if (this.code !== undefined && code !== this.code) throw new SmtpReplyError('malformed', shorten(bytes));
    this.code = code;
    this.lines.push(match[3] ?? '');
    if (match[2] === '-') {
      if (this.lines.length >= MAX_REPLY_LINES) throw new SmtpReplyError('too-many-lines', shorten(bytes));
      return undefined;
    }
    const reply: SmtpReply = { code, lines: this.lines };
    this.code = undefined;
    this.lines = [];
    return reply;
  }
}

/** The EHLO keywords (RFC 5321 §4.1.1.1), upper case; the first line is the server's name. */
export function ehloKeywords(reply: SmtpReply): string[] {
  return reply.lines
    .slice(1)
    .map((line) => line.trim().split(/\s+/)[0].toUpperCase())
    .filter((keyword) => keyword.length > 0);
}

/** RFC 3207 §4: the server lists `STARTTLS` in its EHLO reply. */
export function offersStartTls(reply: SmtpReply): boolean {
  return reply.code === 250 && ehloKeywords(reply).includes('STARTTLS');
}

/** The reply's text on one line, control characters dropped, at most 120 characters. */
export function replyText(reply: SmtpReply): string {
  return clip(reply.lines.join(' '));
}

function shorten(bytes: Buffer): string {
  return clip(bytes.subarray(0, 200).toString('utf8'));
}

function clip(text: string): string {
  const clean = text
    .replace(/[\x00-\x1f\x7f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length > 120 ? `${clean.slice(0, 119)}…` : clean;
}
