/** What a signed-in person may do on the pages: `admin` may act, `viewer` may only look. */
export type PageRole = 'admin' | 'viewer';

/**
 * One of the module's pages, handed to a host panel's `pages.layout` to place inside its
 * own page.
 */
export interface MtaStsPage {
  /** The page's title (plain text: escape it when you write it into HTML). */
  readonly title: string;
  /**
   * HTML for the document's `<head>`: the module's stylesheet and script (both served by
   * the module, scoped to `.mta-sts`), and a refresh while a domain is being enabled.
   */
  readonly head: string;
  /** HTML of the page itself, in one `<div class="mta-sts">`: put it in your `<main>`. */
  readonly content: string;
  /** Who is looking (`null` on the pages shown before sign-in: refusals, errors). */
  readonly role: PageRole | null;
  /** The pages' base path as the browser sees it (e.g. `/panel/mta-sts`). */
  readonly base: string;
  /** The request, for the host's own menu, user name or CSRF token. */
  readonly request: unknown;
}

/** The host's layout: returns the whole HTML document around `page.content`. */
export type PageLayout = (page: MtaStsPage) => string | Promise<string>;

/** A link back to the host panel, shown first in the header of the pages' own layout. */
export interface PageBackLink {
  readonly label: string;
  readonly url: string;
}
