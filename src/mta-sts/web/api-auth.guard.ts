import { createHash, timingSafeEqual } from 'node:crypto';
import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The secret a request presents: a bearer token, or the password of HTTP Basic (for browsers). */
function presentedSecret(header: string | undefined): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

/**
 * Guards the JSON API: the host panel's own `authorizeApi` when it gives one, otherwise
 * the API token compared in constant time. With neither configured the API is closed.
 */
@Injectable()
export class ApiAuthGuard implements CanActivate {
  /** What a refused request is told to send (RFC 9110 §11.6.1). */
  protected readonly challenge: string = 'Bearer realm="MTA-STS"';

  constructor(@Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    if (this.options.authorizeApi) {
      if (await this.options.authorizeApi(request)) return true;
      throw new ForbiddenException('Not allowed.');
    }
    const token = this.options.apiToken;
    if (!token) {
      throw new ForbiddenException('The API is disabled: set MTA_STS_API_TOKEN to enable it.');
    }
    const secret = presentedSecret(request.headers.authorization);
    if (secret === undefined || !timingSafeEqual(digest(secret), digest(token))) {
      context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', this.challenge);
      throw new UnauthorizedException('Missing or wrong API token.');
    }
    return true;
  }
}

/** The same check for pages, asking browsers for HTTP Basic (any user name, the API token as password). */
@Injectable()
export class PageAuthGuard extends ApiAuthGuard {
  protected override readonly challenge = 'Basic realm="MTA-STS", charset="UTF-8"';
}
