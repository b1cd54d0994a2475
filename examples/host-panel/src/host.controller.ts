import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { DomainsService, MtaStsError, ProvisioningService } from 'nest-mta-sts';
import { Repository } from 'typeorm';
import { HOST_CONFIG } from './tokens';
import type { HostConfig } from './config';
import { escape, hostPage } from './layout';
import { MailDomain } from './mail-domain';
import { SESSION_COOKIE, Sessions } from './sessions';

/** Only local paths: `next` must not send anyone to another site. */
const local = (next: unknown) => (typeof next === 'string' && /^\/(?!\/)[^\s\\]*$/.test(next) ? next : '/');

/** The host's own pages and API, next to the module's. */
@Controller()
export class HostController {
  constructor(
    @Inject(HOST_CONFIG) private readonly config: HostConfig,
    private readonly sessions: Sessions,
    private readonly domains: DomainsService,
    private readonly provisioning: ProvisioningService,
    @InjectRepository(MailDomain) private readonly mailDomains: Repository<MailDomain>,
  ) {}

  @Get('login')
  loginForm(@Query('next') next: unknown, @Res() response: Response): void {
    const form = `<h1>Sign in</h1>
<form method="post" action="/login">
<input type="hidden" name="next" value="${escape(local(next))}">
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>`;
    response.type('html').send(hostPage('Sign in', '', form, false));
  }

  @Post('login')
  login(
    @Body() body: { password?: unknown; next?: unknown },
    @Req() request: Request,
    @Res() response: Response,
  ): void {
    const id =
      typeof body.password === 'string' ? this.sessions.signIn(body.password, this.config.adminPassword) : null;
    if (!id) {
      response
        .status(401)
        .type('html')
        .send(hostPage('Sign in', '', '<p>Wrong password.</p>', false));
      return;
    }
    response.cookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'strict', secure: request.secure, path: '/' });
    response.redirect(303, local(body.next));
  }

  @Post('logout')
  logout(@Req() request: Request, @Res() response: Response): void {
    this.sessions.signOut(request);
    response.clearCookie(SESSION_COOKIE, { path: '/' });
    response.redirect(303, '/login');
  }

  @Get()
  async home(@Req() request: Request, @Res() response: Response): Promise<void> {
    if (!this.sessions.of(request)) return response.redirect(303, '/login');
    const { total } = await this.domains.page({ page: 1 });
    const content = `<h1>Mail panel</h1><p>MTA-STS manages <span id="mta-sts-count">${total}</span> domain(s): <a href="/mail/mta-sts">open</a>.</p>`;
    response.type('html').send(hostPage('Home', '', content, true));
  }

  /** The host's own API at /api/domains: the module's API lives at /api/mta-sts. */
  @Get('api/domains')
  async ownDomains(@Req() request: Request, @Res() response: Response): Promise<void> {
    if (this.sessions.of(request)?.role !== 'admin') {
      response.status(403).json({ message: 'Sign in first.' });
      return;
    }
    response.json({ mailDomains: await this.mailDomains.find({ order: { name: 'ASC' } }) });
  }

  /** A button of the host's own: add the domain to MTA-STS and enable it in one go. */
  @Post('api/domains/:domain/mta-sts')
  async enableMtaSts(@Param('domain') domain: string, @Req() request: Request, @Res() response: Response) {
    const session = this.sessions.of(request);
    if (session?.role !== 'admin') {
      response.status(403).json({ message: 'Sign in first.' });
      return;
    }
    const actor = session.user;
    try {
      await this.domains.add(domain, actor).catch((error: unknown) => {
        // Already managed: go on to Enable.
        if (!(error instanceof MtaStsError && error.kind === 'conflict')) throw error;
      });
      const result = await this.provisioning.enable(domain, actor);
      response.status(202).json({ state: result.domain.state, records: result.domain.records });
    } catch (error) {
      if (error instanceof MtaStsError) {
        response
          .status(error.kind === 'invalid' ? 400 : error.kind === 'unavailable' ? 503 : 409)
          .json({ message: error.message });
        return;
      }
      throw error;
    }
  }
}
