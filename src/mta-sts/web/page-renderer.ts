import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import Handlebars from 'handlebars';
import { VIEWS_DIR } from '../../paths';

/**
 * Renders the module's pages from `views/` with its own Handlebars environment (HTML
 * escaping on, no global helpers), so the host's view engine is left alone.
 */
export class PageRenderer {
  private compiled?: { layout: Handlebars.TemplateDelegate; pages: Map<string, Handlebars.TemplateDelegate> };

  render(page: string, context: Record<string, unknown>): string {
    const templates = this.templates();
    const template = templates.pages.get(page);
    if (!template) throw new Error(`no view named ${page}`);
    return templates.layout({ ...context, body: template(context) });
  }

  private templates() {
    if (this.compiled) return this.compiled;
    const env = Handlebars.create();
    // Helpers live in this environment only, never in Handlebars' global one.
    env.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    const read = (...path: string[]) => readFileSync(join(VIEWS_DIR, ...path), 'utf8');
    for (const file of readdirSync(join(VIEWS_DIR, 'partials'))) {
      env.registerPartial(basename(file, '.hbs'), read('partials', file));
    }
    const pages = new Map<string, Handlebars.TemplateDelegate>();
    for (const file of readdirSync(VIEWS_DIR).filter((name) => name.endsWith('.hbs'))) {
      pages.set(basename(file, '.hbs'), env.compile(read(file)));
    }
    this.compiled = { layout: env.compile(read('layouts', 'main.hbs')), pages };
    return this.compiled;
  }
}
