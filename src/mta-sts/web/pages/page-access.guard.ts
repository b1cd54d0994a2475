import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PageRole, ResolvedMtaStsOptions } from '../../mta-sts.options';
import { MTA_STS_OPTIONS } from '../../mta-sts.tokens';
import { PageRenderer } from '../page-renderer';
import { PageCsrf } from './page-csrf';

/** The role of the person a page request comes from, set by `PageAccessGuard`. */
export interface PageRequest extends Request {
  mtaStsRole?: PageRole;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Who may see and use the pages. The host's `resolveRole` decides; without one, a browser
 * signs in with HTTP Basic and the API token as password. Reading needs any role; every
 * POST needs `admin` and a valid CSRF token. Refusals are pages, not JSON.
 */
@Injectable()
export class PageAccessGuard implements CanActivate {
  constructor(
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    private readonly pages: PageRenderer,
    private readonly csrf: PageCsrf,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<PageRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    const role = await this.role(request);
    if (!role) {
      if (this.options.pages.loginUrl) {
        response.redirect(303, `${this.options.pages.loginUrl}?next=${encodeURIComponent(request.originalUrl)}`);
      } else {
        // Basic is offered only where it is checked: without the host's resolveRole.
        if (!this.options.pages.resolveRole) {
          response.setHeader('WWW-Authenticate', 'Basic realm="MTA-STS", charset="UTF-8"');
        }
        await this.refuse(request, response, HttpStatus.UNAUTHORIZED, 'Sign in to see this page.');
      }
      return false;
    }
    request.mtaStsRole = role;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      if (role !== 'admin') {
        await this.refuse(
          request,
          response,
          HttpStatus.FORBIDDEN,
          'Your account can look at domains but not change them.',
        );
        return false;
      }
      if (!(await this.csrf.valid(request))) {
        await this.refuse(
          request,
          response,
          HttpStatus.FORBIDDEN,
          'The form has expired. Go back, reload the page and try again.',
        );
        return false;
      }
    }
    return true;
  }

  private async role(request: Request): Promise<PageRole | null> {
    if (this.options.pages.resolveRole) return (await this.options.pages.resolveRole(request)) ?? null;
    const token = this.options.apiToken;
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(request.headers.authorization ?? '');
    if (!token || !basic) return null;
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const password = decoded.slice(decoded.indexOf(':') + 1);
    return timingSafeEqual(digest(password), digest(token)) ? 'admin' : null;
  }

  private async refuse(request: PageRequest, response: Response, status: number, message: string): Promise<void> {
    const title = status === 401 ? 'Sign in' : 'Not allowed';
    await this.pages.send(request, response, status, 'message', { title, status, message, role: request.mtaStsRole });
  }
}
