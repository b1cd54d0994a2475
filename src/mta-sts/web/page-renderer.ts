import { basename, join } from 'node:path';
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Request, Response } from 'express';
import Handlebars from 'handlebars';
import { VIEWS_DIR } from '../../paths';
import { listDirSync, readTextFileSync } from '../adapters/fs.file-store';
import type { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS, MTA_STS_ROUTES } from '../mta-sts.tokens';
import type { PageRole } from './pages/page-options';
import { PAGE_CSP, setPageSecurityHeaders } from './pages/page-headers';
import { DEFAULT_ROUTES, ResolvedMtaStsRoutes } from './route-prefixes';

interface Templates {
  readonly layout: Handlebars.TemplateDelegate;
  readonly embedded: Handlebars.TemplateDelegate;
  readonly head: Handlebars.TemplateDelegate;
  readonly pages: Map<string, Handlebars.TemplateDelegate>;
}

/**
 * Renders the module's pages from `views/` with its own Handlebars environment (HTML
 * escaping on, no global helpers), so the host's view engine is left alone. A page goes
 * into the module's own layout, or into the host's (`pages.layout`).
 */
@Injectable()
export class PageRenderer {
  private compiled?: Templates;

  constructor(
    @Optional() @Inject(MTA_STS_OPTIONS) private readonly options?: ResolvedMtaStsOptions,
    @Optional() @Inject(MTA_STS_ROUTES) private readonly routes: ResolvedMtaStsRoutes = DEFAULT_ROUTES,
  ) {}

  /** A page in the module's own layout (the standalone panel's sign-in page uses it too). */
  render(page: string, context: Record<string, unknown>): string {
    const templates = this.templates();
    return templates.layout({ ...context, body: this.view(templates, page, context) });
  }

  /**
   * The pages' base path as the browser sees it: the configured prefix, and whatever a
   * host's global prefix puts in front of it (`/panel/mta-sts`).
   */
  base(request: Request): string {
    const prefix = `/${this.routes.pages}`;
    const path = request.originalUrl.split('?')[0];
    const at = `${path}/`.indexOf(`${prefix}/`);
    return at >= 0 ? path.slice(0, at + prefix.length) : prefix;
  }

  /**
   * Sends a page with its security headers, in the host's layout when there is one. The
   * context gets `base` and the back link; `title` is the document's title.
   */
  async send(
    request: Request,
    response: Response,
    status: number,
    page: string,
    context: Record<string, unknown> & { title?: unknown; role?: PageRole | null },
  ): Promise<void> {
    const full = { ...context, base: this.base(request), backLink: this.options?.pages.backLink };
    const layout = this.options?.pages.layout;
    let html: string;
    if (layout) {
      const templates = this.templates();
      html = await layout({
        title: typeof full.title === 'string' ? full.title : 'MTA-STS',
        head: templates.head(full),
        content: templates.embedded({ ...full, body: this.view(templates, page, full) }),
        role: full.role ?? null,
        base: full.base,
        request,
      });
    } else {
      html = this.render(page, full);
    }
    setPageSecurityHeaders(response, this.options?.pages.contentSecurityPolicy ?? PAGE_CSP);
    response.status(status).type('html').setHeader('Cache-Control', 'no-store');
    response.send(html);
  }

  private view(templates: Templates, page: string, context: Record<string, unknown>): string {
    const template = templates.pages.get(page);
    if (!template) throw new Error(`no view named ${page}`);
    return template(context);
  }

  private templates(): Templates {
    if (this.compiled) return this.compiled;
    const env = Handlebars.create();
    // Helpers live in this environment only, never in Handlebars' global one.
    env.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    const read = (...path: string[]) => readTextFileSync(join(VIEWS_DIR, ...path));
    for (const file of listDirSync(join(VIEWS_DIR, 'partials'))) {
      env.registerPartial(basename(file, '.hbs'), read('partials', file));
    }
    const pages = new Map<string, Handlebars.TemplateDelegate>();
    for (const file of listDirSync(VIEWS_DIR).filter((name) => name.endsWith('.hbs'))) {
      pages.set(basename(file, '.hbs'), env.compile(read(file)));
    }
    this.compiled = {
      layout: env.compile(read('layouts', 'main.hbs')),
      embedded: env.compile(read('layouts', 'embedded.hbs')),
      head: env.compile(read('partials', 'head.hbs')),
      pages,
    };
    return this.compiled;
  }
}
