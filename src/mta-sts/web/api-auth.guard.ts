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

/** The bearer token a request presents. */
function presentedSecret(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
}

/**
 * Guards the JSON API: the host panel's own `authorizeApi` when it gives one, otherwise
 * the API token compared in constant time. With neither configured the API is closed.
 */
@Injectable()
export class ApiAuthGuard implements CanActivate {
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
      context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="MTA-STS"');
      throw new UnauthorizedException('Missing or wrong API token.');
    }
    return true;
  }
}
