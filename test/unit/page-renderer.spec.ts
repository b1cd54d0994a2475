import { PageRenderer } from '../../src/mta-sts/web/page-renderer';

const domain = {
  domain: 'example.com',
  displayName: 'example.com',
  state: 'error',
  stepLabel: null,
  error: { step: 'certificate', message: 'CA said <script>alert(1)</script> & more' },
  mxProblem: null,
  mode: 'testing',
  maxAge: 604800,
  certificate: null,
  records: [{ name: '_mta-sts.example.com', type: 'TXT', value: 'v=STSv1; id=abc' }],
  policy: { id: 'abc', text: 'version: STSv1\r\nmode: testing\r\n' },
};

describe('PageRenderer', () => {
  const renderer = new PageRenderer();

  it('renders a card per domain inside the layout', () => {
    const html = renderer.render('domains', { title: 'MTA-STS', domains: [domain] });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<span class="badge error">error</span>');
    expect(html).toContain('<strong>Failed at certificate:</strong>');
    // Handlebars escapes `=` too; browsers show (and copy) it as `=`.
    expect(html).toContain('<code>v&#x3D;STSv1; id&#x3D;abc</code>');
  });

  it('escapes what comes from DNS, the CA or the admin', () => {
    const html = renderer.render('domains', { title: 'MTA-STS', domains: [domain] });
    expect(html).not.toContain('<script>');
    expect(html).toContain('CA said &lt;script&gt;alert(1)&lt;/script&gt; &amp; more');
  });

  it('says so when there are no domains', () => {
    expect(renderer.render('domains', { title: 'MTA-STS', domains: [] })).toContain('No domains yet.');
  });

  it('refuses an unknown view', () => {
    expect(() => renderer.render('nope', {})).toThrow(/no view named nope/);
  });
});
