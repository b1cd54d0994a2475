import {
  ArgumentsHost,
  Body,
  Catch,
  Controller,
  ExceptionFilter,
  Get,
  Inject,
  Injectable,
  Logger,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { SkipThrottle, ThrottlerException, ThrottlerGuard } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { CSRF_FIELD, PageRenderer, csrfToken, csrfValid } from '../../index';
import { LOGIN_CSRF_SECRET, PANEL_USERS, SESSIONS, SIGN_IN_THROTTLE } from './tokens';
import { authenticate, PanelUser } from './users';
import { PanelSessions } from './panel-sessions';
import { FREE_ATTEMPTS, SignInThrottle, describeWait } from './sign-in-throttle';
import { DEFAULT_ROUTES } from '../../index';

/** The module's pages, where the standalone panel leaves them. */
const PAGES = `/${DEFAULT_ROUTES.pages}`;

/** Only local paths: a `next` parameter must not send people to another site. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?!\/)[^\s\\]*$/.test(next) ? next : PAGES;
}

/** Too many sign-in requests from one address (`ThrottlerGuard`): a page that says so, not JSON. */
@Injectable()
@Catch(ThrottlerException)
export class SignInFloodFilter implements ExceptionFilter {
  constructor(private readonly pages: PageRenderer) {}

  catch(_error: ThrottlerException, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    response
      .status(429)
      .setHeader('Retry-After', '60')
      .type('html')
      .send(
        this.pages.render('message', {
          title: 'Too many requests',
          message: 'Too many sign-in requests from your address. Wait a minute, then try again.',
          base: PAGES,
        }),
      );
  }
}

/** The standalone panel's sign-in form (a host panel brings its own). */
@Controller()
@UseGuards(ThrottlerGuard)
@UseFilters(SignInFloodFilter)
export class LoginController {
  private readonly logger = new Logger('Panel');

  constructor(
    @Inject(PANEL_USERS) private readonly users: readonly PanelUser[],
    @Inject(SESSIONS) private readonly sessions: PanelSessions,
    @Inject(SIGN_IN_THROTTLE) private readonly throttle: SignInThrottle,
    @Inject(LOGIN_CSRF_SECRET) private readonly csrfSecret: string,
    private readonly pages: PageRenderer,
  ) {}

  @Get('login')
  @SkipThrottle()
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
    if (!csrfValid(request, { secret: this.csrfSecret })) {
      this.show(request, response, 403, next, 'The form had expired. Please sign in again.');
      return;
    }
    const name = typeof body.username === 'string' ? body.username.trim().slice(0, 64) : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const address = request.ip ?? request.socket.remoteAddress ?? 'unknown';
    const decision = this.throttle.check(name, address);
    if (!decision.allowed) {
      const wait = describeWait(decision.retryAfterMs);
      this.logger.warn(`Sign-in refused for "${name}" from ${address}: too many failed attempts (${decision.by})`);
      response.setHeader('Retry-After', String(Math.ceil(decision.retryAfterMs / 1000)));
      this.show(
        request,
        response,
        429,
        next,
        `Too many failed sign-ins ${decision.by === 'account' ? 'for this account' : 'from your address'}. Try again in ${wait}.`,
        name,
      );
      return;
    }
    const user = name && password ? await authenticate(this.users, name, password) : undefined;
    if (!user) {
      const { failures, lockedForMs } = this.throttle.failed(name, address);
      this.logger.warn(`Failed sign-in for "${name}" from ${address} (${failures} in a row for this account)`);
      const waiting =
        lockedForMs > 0
          ? ` After ${FREE_ATTEMPTS} failed attempts, sign-in waits: try again in ${describeWait(lockedForMs)}.`
          : '';
      this.show(request, response, 401, next, `Wrong user name or password.${waiting}`, name);
      return;
    }
    this.throttle.succeeded(name, address);
    await this.sessions.signIn(request, response, user.name, user.role);
    this.logger.log(`${user.name} signed in from ${address}`);
    response.redirect(303, next);
  }

  @Post('logout')
  @SkipThrottle()
  async signOut(@Req() request: Request, @Res() response: Response): Promise<void> {
    // Signing out is harmless whoever asks, so it needs no CSRF token. It ends the session
    // on the server: the cookie is worthless afterwards, wherever a copy of it is kept.
    await this.sessions.signOut(request, response);
    response.redirect(303, '/login');
  }

  private show(request: Request, response: Response, status: number, next: string, error?: string, name = ''): void {
    const html = this.pages.render('login', {
      title: 'Sign in',
      base: PAGES,
      csrf: { field: CSRF_FIELD, token: csrfToken(request, response, { secret: this.csrfSecret }) },
      next,
      name,
      error,
      noUsers: this.users.length === 0,
    });
    response.status(status).type('html').setHeader('Cache-Control', 'no-store').send(html);
  }
}
