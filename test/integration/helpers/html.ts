import request from 'supertest';
import type { App } from 'supertest/types';

/**
 * Small, dependency-free readers for the server-rendered pages: enough to find forms,
 * labels, list items and visible text without a DOM.
 */

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

/** Decodes the character references Handlebars and the templates produce. */
export function decode(html: string): string {
  return html.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** The visible text of a fragment: tags dropped, references decoded, white space collapsed. */
export function textOf(html: string): string {
  // `<time>` is inline and adds no space of its own, as a browser shows it.
  return decode(html.replace(/<\/?time\b[^>]*>/g, '').replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

/** The `<main>` element's inner HTML (what a page says, without the header). */
export function mainOf(html: string): string {
  const match = /<main[^>]*>([\s\S]*)<\/main>/.exec(html);
  if (!match) throw new Error('the page has no <main>');
  return match[1];
}

/** Attributes of one start tag, values decoded. */
export function attributes(tag: string): Record<string, string> {
  const result: Record<string, string> = {};
  const body = tag.replace(/^<\s*[a-z0-9-]+/i, '').replace(/\/?>$/, '');
  for (const match of body.matchAll(/([a-z_:][-a-z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/gi)) {
    result[match[1].toLowerCase()] = decode(match[2] ?? match[3] ?? match[4] ?? '');
  }
  return result;
}

/** Every start tag of one element name, with its attributes. */
export function tags(html: string, name: string): Record<string, string>[] {
  return [...html.matchAll(new RegExp(`<${name}\\b[^>]*>`, 'gi'))].map((match) => attributes(match[0]));
}

export interface FormInfo {
  readonly method: string;
  readonly action: string;
  readonly html: string;
  readonly fields: Record<string, string>;
  readonly buttons: string[];
}

/** Every form: its method, action, hidden/visible input values by name and button texts. */
export function forms(html: string): FormInfo[] {
  return [...html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/gi)].map((match) => {
    const start = attributes(/^<form\b[^>]*>/i.exec(match[0])![0]);
    const fields: Record<string, string> = {};
    for (const input of tags(match[0], 'input')) if (input.name) fields[input.name] = input.value ?? '';
    for (const select of tags(match[0], 'select')) if (select.name) fields[select.name] = '';
    const buttons = [...match[0].matchAll(/<button\b[^>]*>([\s\S]*?)<\/button>/gi)].map((b) => textOf(b[1]));
    return {
      method: (start.method ?? 'get').toLowerCase(),
      action: start.action ?? '',
      html: match[0],
      fields,
      buttons,
    };
  });
}

/** The inner HTML of every element `<tag class="... className ...">`, in order, nested elements included. */
export function elementsWithClass(html: string, tag: string, className: string): string[] {
  const found: string[] = [];
  const tokens = new RegExp(`<(/?)${tag}\\b[^>]*>`, 'gi');
  for (const start of html.matchAll(new RegExp(`<${tag}\\b[^>]*>`, 'gi'))) {
    const classes = (attributes(start[0]).class ?? '').split(/\s+/);
    if (!classes.includes(className)) continue;
    const from = start.index + start[0].length;
    tokens.lastIndex = from;
    let depth = 1;
    for (let token = tokens.exec(html); token; token = tokens.exec(html)) {
      depth += token[1] ? -1 : 1;
      if (depth === 0) {
        found.push(html.slice(from, token.index));
        break;
      }
    }
  }
  return found;
}

/** The domain cards of the list page. */
export function cardsOf(html: string): string[] {
  return elementsWithClass(html, 'li', 'card');
}

/** The text of each link, with its href. */
export function links(html: string): { href: string; text: string; rel?: string }[] {
  return [...html.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a>/gi)].map((match) => {
    const attrs = attributes(`<a ${match[1]}>`);
    return { href: attrs.href ?? '', text: textOf(match[2]), rel: attrs.rel };
  });
}

/** Labelled-control audit: visible inputs and selects without a `<label for>` naming their id. */
export function unlabelledControls(html: string): string[] {
  const labelled = new Set(tags(html, 'label').map((label) => label.for));
  const controls = [...tags(html, 'input'), ...tags(html, 'select'), ...tags(html, 'textarea')].filter(
    (control) => control.type !== 'hidden',
  );
  return controls.filter((control) => !control.id || !labelled.has(control.id)).map((c) => JSON.stringify(c));
}

/** One `Set-Cookie` header, parsed. */
export interface SetCookie {
  readonly name: string;
  readonly value: string;
  readonly attributes: Record<string, string | true>;
}

export function parseSetCookies(header: string | string[] | undefined): SetCookie[] {
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return lines.map((line) => {
    const [pair, ...rest] = line.split(';');
    const at = pair.indexOf('=');
    const attrs: Record<string, string | true> = {};
    for (const part of rest) {
      const eq = part.indexOf('=');
      if (eq < 0) attrs[part.trim().toLowerCase()] = true;
      else attrs[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
    }
    return { name: pair.slice(0, at).trim(), value: pair.slice(at + 1).trim(), attributes: attrs };
  });
}

/** A cookie that tells the browser to forget it (empty, or expired). */
function clears(cookie: SetCookie): boolean {
  const expires = cookie.attributes.expires;
  return (
    cookie.value === '' ||
    cookie.attributes['max-age'] === '0' ||
    (typeof expires === 'string' && Date.parse(expires) <= Date.now())
  );
}

export interface PageAnswer {
  readonly status: number;
  readonly text: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly location: string | undefined;
  readonly cookies: SetCookie[];
}

/**
 * A browser stand-in: keeps cookies like a browser would (set, replace, clear), sends a
 * role header when given one, and posts urlencoded forms. `csrf` on a post adds the
 * `_csrf` field of the last page that had forms, as submitting one of them would; a
 * string posts that string instead.
 */
export class Browser {
  readonly cookies = new Map<string, string>();
  /** The `_csrf` field of the forms on the last page that had one. */
  csrfToken: string | undefined;

  constructor(
    private readonly app: App,
    public role: string | null = null,
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  get csrfCookie(): string | undefined {
    return this.cookies.get('mta_sts_csrf');
  }

  async get(path: string): Promise<PageAnswer> {
    return this.answer(this.headers(request(this.app).get(path)));
  }

  async post(
    path: string,
    form: Record<string, string> = {},
    { csrf = true }: { csrf?: boolean | string } = {},
  ): Promise<PageAnswer> {
    const fields = { ...form };
    if (csrf === true) {
      if (!this.csrfToken) throw new Error('no CSRF token yet: get a page with a form first');
      fields._csrf = this.csrfToken;
    } else if (typeof csrf === 'string') {
      fields._csrf = csrf;
    }
    return this.answer(this.headers(request(this.app).post(path)).type('form').send(fields));
  }

  private headers(test: request.Test): request.Test {
    if (this.role) test.set('x-role', this.role);
    for (const [name, value] of Object.entries(this.extraHeaders)) test.set(name, value);
    if (this.cookies.size > 0) {
      test.set(
        'Cookie',
        [...this.cookies].map(([name, value]) => `${name}=${value}`),
      );
    }
    return test;
  }

  private async answer(test: request.Test): Promise<PageAnswer> {
    const response = await test;
    const cookies = parseSetCookies(response.headers['set-cookie'] as string[] | string | undefined);
    for (const cookie of cookies) {
      if (clears(cookie)) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    const token = /<input type="hidden" name="_csrf" value="([^"]+)"/.exec(response.text ?? '');
    if (token) this.csrfToken = token[1];
    return {
      status: response.status,
      text: response.text,
      headers: response.headers as Record<string, string | string[] | undefined>,
      location: response.headers.location as string | undefined,
      cookies,
    };
  }
}
