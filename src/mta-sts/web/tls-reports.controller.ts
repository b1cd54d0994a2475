import { Controller, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DECODE_LIMITS, reportMediaType } from '../adapters/tls-reports/report-decoder';
import { ReportIntake } from '../services/report-intake';

/** Reads the body up to `limit` bytes; undefined when it is larger (the rest is not read). */
function readBody(request: Request, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/**
 * Where senders POST TLS reports (RFC 8460 §5.3: `application/tlsrpt+gzip` or
 * `+json`). 201 once a report is stored, 200 for one stored before; a report that cannot
 * be read is kept with the reason and answered 400; one for domains not served here, 404;
 * another media type, 415.
 */
@Controller()
export class TlsReportsController {
  constructor(private readonly intake: ReportIntake) {}

  @Post('tlsrpt')
  async receive(@Req() request: Request, @Res() response: Response): Promise<void> {
    if (!reportMediaType(request.headers['content-type'])) {
      response
        .status(415)
        .set('Connection', 'close')
        .type('text/plain')
        .send('A TLS report is application/tlsrpt+gzip or application/tlsrpt+json (RFC 8460 §5.3).\n');
      if (!request.readableEnded) request.resume();
      return;
    }
    const limit = Math.max(DECODE_LIMITS.compressedBytes, DECODE_LIMITS.jsonBytes);
    const body = await readBody(request, limit);
    if (!body) {
      // Say so, then drop the rest of an oversize body (for a few seconds at most).
      response
        .status(413)
        .set('Connection', 'close')
        .type('text/plain')
        .send(`A TLS report is at most ${limit} bytes.\n`);
      request.resume();
      setTimeout(() => request.destroy(), 5_000).unref();
      return;
    }
    const outcome = await this.intake.receive(body, request.headers['content-type'], 'https');
    const status = { stored: 201, duplicate: 200, rejected: 400, ignored: 404 }[outcome.outcome];
    const text =
      outcome.outcome === 'rejected'
        ? `Rejected: ${outcome.reason}.`
        : outcome.outcome === 'ignored'
          ? 'No domain of this report is served here.'
          : outcome.outcome === 'duplicate'
            ? 'This report was received before.'
            : 'Stored.';
    response.status(status).type('text/plain').send(`${text}\n`);
  }
}
