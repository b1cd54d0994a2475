import { PanelTextLogger, PinoNestLogger } from '../../src/panel/logging';

describe('PanelTextLogger', () => {
  it('prints a structured entry as its sentence on one line, and anything else as Nest does', () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const logger = new PanelTextLogger('MtaSts', { colors: false });
      logger.log({ msg: 'example.com: add done. Added to the panel.', event: 'domain-action', domain: 'example.com' });
      logger.log('plain text');
    } finally {
      spy.mockRestore();
    }
    expect(written).toHaveLength(2);
    expect(written[0]).toMatch(/LOG \[MtaSts\] example\.com: add done\. Added to the panel\.\n$/);
    expect(written[0]).not.toContain('domain-action');
    expect(written[1]).toMatch(/LOG \[MtaSts\] plain text\n$/);
  });
});

describe('PinoNestLogger', () => {
  function capture(): { logger: PinoNestLogger; lines: () => Record<string, unknown>[] } {
    const chunks: string[] = [];
    const logger = new PinoNestLogger({ write: (chunk: string) => void chunks.push(chunk) });
    return {
      logger,
      lines: () =>
        chunks
          .join('')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Record<string, unknown>),
    };
  }

  it('writes Nest messages as JSON with the context as a field, and a structured entry’s fields as fields', () => {
    const { logger, lines } = capture();
    logger.log('Listening on http://127.0.0.1:3000', 'Panel');
    logger.warn(
      { msg: 'example.com: mode refused. Not yet.', event: 'domain-action', domain: 'example.com', outcome: 'refused' },
      'MtaSts',
    );
    logger.error('Request failed', 'Error: boom\n    at x', 'MtaSts');
    expect(lines()).toEqual([
      expect.objectContaining({ level: 30, context: 'Panel', msg: 'Listening on http://127.0.0.1:3000' }),
      expect.objectContaining({
        level: 40,
        context: 'MtaSts',
        event: 'domain-action',
        domain: 'example.com',
        outcome: 'refused',
        msg: 'example.com: mode refused. Not yet.',
      }),
      expect.objectContaining({ level: 50, context: 'MtaSts', stack: 'Error: boom\n    at x', msg: 'Request failed' }),
    ]);
  });

  it('redacts credentials wherever a request or response is logged', () => {
    const { logger, lines } = capture();
    logger.pino.info({
      req: { headers: { authorization: 'Bearer secret-token', cookie: 's=1' }, body: { password: 'pw' } },
    });
    const [line] = lines() as Array<{ req: { headers: Record<string, string>; body: Record<string, string> } }>;
    expect(line.req.headers).toEqual({ authorization: '[redacted]', cookie: '[redacted]' });
    expect(line.req.body.password).toBe('[redacted]');
  });
});
