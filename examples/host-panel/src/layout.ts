import type { MtaStsPage } from 'nest-mta-sts';

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The host's page around its own content and the module's: one menu for the whole panel.
 * No inline script or style, so the module's Content-Security-Policy holds.
 */
export function hostPage(title: string, head: string, content: string, signedIn: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · Mail panel</title>
${head}
</head>
<body>
<nav id="panel-menu">
  <a href="/">Mail panel</a>
  <a href="/mail/mta-sts">MTA-STS</a>
  ${signedIn ? '<form method="post" action="/logout"><button type="submit">Sign out</button></form>' : '<a href="/login">Sign in</a>'}
</nav>
<main>
${content}
</main>
</body>
</html>`;
}

/** `pages.layout`: the module's pages inside the host's page. */
export const mtaStsLayout = (page: MtaStsPage) => hostPage(page.title, page.head, page.content, page.role !== null);

export { escape };
