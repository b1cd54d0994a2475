import { PanelTextLogger } from '../../src/panel/logging';

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
