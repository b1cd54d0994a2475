import { Body, Controller, Get, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PageRenderer } from '../../mta-sts/web/page-renderer';
import { CSRF_FIELD, csrfToken, csrfValid } from '../../mta-sts/web/pages/csrf';
import { PANEL_USERS, SESSIONS } from './tokens';
import { authenticate, PanelUser } from './users';
import { SessionCookies } from './session';

/** Only local paths: a `next` parameter must not send people to another site. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?!\/)[^\s\\]*$/.test(next) ? next : '/mta-sts';
}

/** The standalone panel's sign-in form (a host panel brings its own). */
@Controller()
export class LoginController {
  constructor(
    @Inject(PANEL_USERS) private readonly users: readonly PanelUser[],
    @Inject(SESSIONS) private readonly sessions: SessionCookies,
    private readonly pages: PageRenderer,
  ) {}

  @Get('login')
  form(@Req() request: Request, @Res() response: Response, @Query('next') next?: string): void {
    this.show(request, response, 200, safeNext(next));
  }

  @Post('login')
  async signIn(
    @Req() request: Request,
    @Res() response: Response,
    @Body() body: Record<string, unknown>,
  ): Promise<void> {
    const next = safeNext(body.next);
    if (!csrfValid(request)) {
      this.show(request, response, 403, next, 'The form had expired. Please sign in again.');
      return;
    }
    const name = typeof body.username === 'string' ? body.username.trim() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const user = name && password ? await authenticate(this.users, name, password) : undefined;
    if (!user) {
      this.show(request, response, 401, next, 'Wrong user name or password.', name);
      return;
    }
    this.sessions.issue(request, response, user.name, user.role);
    response.redirect(303, next);
  }

  @Post('logout')
  signOut(@Res() response: Response): void {
    // Signing out is harmless whoever asks, so it needs no CSRF token.
    this.sessions.clear(response);
    response.redirect(303, '/login');
  }

  private show(request: Request, response: Response, status: number, next: string, error?: string, name = ''): void {
    const html = this.pages.render('login', {
      title: 'Sign in',
      base: '/mta-sts',
      csrf: { field: CSRF_FIELD, token: csrfToken(request, response) },
      next,
      name,
      error,
      noUsers: this.users.length === 0,
    });
    response.status(status).type('html').setHeader('Cache-Control', 'no-store').send(html);
  }
}
