import { PageRenderer } from '../../src/mta-sts/web/page-renderer';

describe('PageRenderer', () => {
  const renderer = new PageRenderer();
  const chrome = { base: '/mta-sts', csrf: { field: '_csrf', token: 'a'.repeat(64) }, role: 'admin' };

  it('renders a page inside the layout with the stylesheet and script from the panel itself', () => {
    const html = renderer.render('message', { ...chrome, title: 'Not allowed', message: 'No.' });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<link rel="stylesheet" href="/mta-sts/assets/panel.css">');
    expect(html).toContain('<script src="/mta-sts/assets/panel.js" defer></script>');
    expect(html).not.toMatch(/<script>|style="/);
  });

  it('escapes what comes from DNS, the CA or the admin', () => {
    const html = renderer.render('message', {
      ...chrome,
      title: 'x',
      message: 'CA said <script>alert(1)</script> & more',
    });
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('CA said &lt;script&gt;alert(1)&lt;/script&gt; &amp; more');
  });

  it('refuses an unknown view', () => {
    expect(() => renderer.render('nope', {})).toThrow(/no view named nope/);
  });
});
