import {
  ehloKeywords,
  MAX_REPLY_LINES,
  offersStartTls,
  replyText,
  SmtpReplyError,
  SmtpReplyReader,
} from '../../src/mta-sts/adapters/smtp/smtp-replies';

function errorOf(action: () => unknown): SmtpReplyError {
  try {
    action();
  } catch (error) {
    if (error instanceof SmtpReplyError) return error;
    throw error;
  }
  throw new Error('expected an SmtpReplyError');
}

describe('SmtpReplyReader', () => {
  it('reads a one-line reply', () => {
    expect(new SmtpReplyReader().push(Buffer.from('220 mx1.example.com ESMTP Postfix\r\n'))).toEqual([
      { code: 220, lines: ['mx1.example.com ESMTP Postfix'] },
    ]);
  });

  it('joins the lines of a multi-line reply and returns it only once the last line is in', () => {
    const reader = new SmtpReplyReader();

    expect(reader.push(Buffer.from('250-mx1.example.com\r\n250-PIPELINING\r\n'))).toEqual([]);
    expect(reader.pending).toBe(true);
    expect(reader.push(Buffer.from('250 STARTTLS\r\n'))).toEqual([
      { code: 250, lines: ['mx1.example.com', 'PIPELINING', 'STARTTLS'] },
    ]);
    expect(reader.pending).toBe(false);
  });

  it('puts back together a reply fed one byte at a time, line breaks included', () => {
    const reader = new SmtpReplyReader();
    const bytes = Buffer.from('220-first\r\n220 second\r\n');

    const replies = [...bytes].flatMap((byte) => reader.push(Buffer.from([byte])));

    expect(replies).toEqual([{ code: 220, lines: ['first', 'second'] }]);
  });

  it('returns every reply a chunk completes, in order', () => {
    expect(new SmtpReplyReader().push(Buffer.from('250 OK\r\n221 Bye\r\n'))).toEqual([
      { code: 250, lines: ['OK'] },
      { code: 221, lines: ['Bye'] },
    ]);
  });

  it('accepts bare LF line ends and a code without text', () => {
    expect(new SmtpReplyReader().push(Buffer.from('250-mx1\n250\n'))).toEqual([{ code: 250, lines: ['mx1', ''] }]);
  });

  it('refuses an unfinished line longer than 4 KiB before it ends', () => {
    const reader = new SmtpReplyReader();
    reader.push(Buffer.from('220 ' + 'x'.repeat(3000)));

    expect(errorOf(() => reader.push(Buffer.from('x'.repeat(2000)))).kind).toBe('line-too-long');
  });

  it('refuses a complete line longer than 4 KiB', () => {
    expect(errorOf(() => new SmtpReplyReader().push(Buffer.from('220 ' + 'x'.repeat(5000) + '\r\n'))).kind).toBe(
      'line-too-long',
    );
  });

  it('refuses a line that does not start with a reply code', () => {
    const error = errorOf(() => new SmtpReplyReader().push(Buffer.from('HTTP/1.1 400 Bad Request\r\n')));

    expect(error).toMatchObject({ kind: 'malformed', line: 'HTTP/1.1 400 Bad Request' });
  });

  it('refuses a continuation line with a different code', () => {
    expect(errorOf(() => new SmtpReplyReader().push(Buffer.from('250-mx1\r\n220 other\r\n'))).kind).toBe('malformed');
  });

  it('refuses a reply that never ends', () => {
    const endless = Buffer.from('250-more\r\n'.repeat(MAX_REPLY_LINES + 1));

    expect(errorOf(() => new SmtpReplyReader().push(endless)).kind).toBe('too-many-lines');
  });
});

describe('EHLO replies', () => {
  it('lists the keywords after the first line, upper case', () => {
    const reply = { code: 250, lines: ['mx1.example.com Hello', 'SIZE 10240000', 'starttls', '8BITMIME'] };

    expect(ehloKeywords(reply)).toEqual(['SIZE', 'STARTTLS', '8BITMIME']);
    expect(offersStartTls(reply)).toBe(true);
  });

  it('does not take STARTTLS in the greeting line for the extension', () => {
    expect(offersStartTls({ code: 250, lines: ['STARTTLS', 'PIPELINING'] })).toBe(false);
  });

  it('does not take STARTTLS from a reply that is not 250', () => {
    expect(offersStartTls({ code: 550, lines: ['no', 'STARTTLS'] })).toBe(false);
  });
});

describe('replyText', () => {
  it('puts the lines on one line without control characters and shortens long text', () => {
    expect(replyText({ code: 554, lines: ['No\tservice', 'here\x07'] })).toBe('No service here');
    expect(replyText({ code: 554, lines: ['y'.repeat(300)] })).toBe('y'.repeat(119) + '…');
  });
});
