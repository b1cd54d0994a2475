import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { In } from 'typeorm';
import { TestApp, createTestApp } from '../helpers/provisioning-app';
import { FakeClock } from '../helpers/renewal-app';
import { pagesSetup } from '../helpers/pages-app';
import { Browser, cardsOf, links, mainOf, textOf } from '../helpers/html';
import { expectHtml, PagesFixture, row } from './fixtures';

describe('The server-rendered pages of the real MtaStsModule', () => {
  const fixture = new PagesFixture();
  const { start } = fixture;
  const fakesFor = (dataDir: string) => fixture.fakesFor(dataDir);

  describe('pagination', () => {
    let dataDir: string;
    let app: TestApp;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'mta-sts-pages-bulk-'));
      app = await createTestApp(dataDir, fakesFor(dataDir), pagesSetup(new FakeClock(start)));
      const names = Array.from({ length: 120 }, (_, at) => `bulk-${String(at + 1).padStart(3, '0')}.example`);
      await app.domainRows.save(names.map((name) => app.domainRows.create(row(name))));
      // Ten of them failed, so the badge filter has something to page through.
      await app.domainRows.update(
        { name: In(names.filter((_, at) => at % 12 === 0)) },
        { state: 'error', badge: 'error', errorStep: 'certificate', errorMessage: 'The CA said no.' },
      );
    });

    afterAll(async () => {
      await app.app.close();
      rmSync(dataDir, { recursive: true, force: true });
      expect(app.unexpected.calls).toEqual([]);
    });

    const browser = () => new Browser(app.app.getHttpServer(), 'viewer');
    const pagination = (html: string) => {
      const nav = /<nav class="pagination"[^>]*>([\s\S]*?)<\/nav>/.exec(html);
      return nav ? { text: textOf(nav[1]), links: links(nav[1]) } : null;
    };
    const names = (html: string) => cardsOf(html).map((card) => textOf(card).split(' ')[0]);

    it('pages through 120 domains 50 at a time', async () => {
      const first = mainOf(expectHtml(await browser().get('/mta-sts')));
      expect(textOf(first)).toContain('120 domain(s).');
      expect(cardsOf(first)).toHaveLength(50);
      expect(names(first)[0]).toBe('bulk-001.example');
      expect(names(first)[49]).toBe('bulk-050.example');
      expect(pagination(first)).toEqual({
        text: 'Page 1 of 3 Next',
        links: [{ href: '?page=2', text: 'Next', rel: 'next' }],
      });

      const second = mainOf((await browser().get('/mta-sts?page=2')).text);
      expect(names(second)[0]).toBe('bulk-051.example');
      expect(pagination(second)).toEqual({
        text: 'Previous Page 2 of 3 Next',
        links: [
          { href: '?', text: 'Previous', rel: 'prev' },
          { href: '?page=3', text: 'Next', rel: 'next' },
        ],
      });

      const third = mainOf((await browser().get('/mta-sts?page=3')).text);
      expect(cardsOf(third)).toHaveLength(20);
      expect(names(third).at(-1)).toBe('bulk-120.example');
      expect(pagination(third)).toEqual({
        text: 'Previous Page 3 of 3',
        links: [{ href: '?page=2', text: 'Previous', rel: 'prev' }],
      });

      // Past the end shows the last page; nonsense shows the first.
      expect(names(mainOf((await browser().get('/mta-sts?page=99')).text))).toEqual(names(third));
      expect(names(mainOf((await browser().get('/mta-sts?page=-1')).text))).toEqual(names(first));
    });

    it('keeps the search and the badge filter in the page links', async () => {
      const searched = mainOf((await browser().get('/mta-sts?q=bulk-0')).text);
      expect(textOf(searched)).toContain('99 domain(s) match.');
      expect(pagination(searched)!.links).toEqual([{ href: '?q=bulk-0&page=2', text: 'Next', rel: 'next' }]);
      const back = mainOf((await browser().get('/mta-sts?q=bulk-0&page=2')).text);
      expect(cardsOf(back)).toHaveLength(49);
      expect(pagination(back)!.links).toEqual([{ href: '?q=bulk-0', text: 'Previous', rel: 'prev' }]);

      const errors = mainOf((await browser().get('/mta-sts?badge=error')).text);
      expect(names(errors)).toEqual(
        Array.from({ length: 10 }, (_, at) => `bulk-${String(at * 12 + 1).padStart(3, '0')}.example`),
      );
      expect(pagination(errors)).toBeNull();
      expect(textOf(cardsOf(errors)[0])).toContain('Failed: The CA said no.');
    });
  });
});
