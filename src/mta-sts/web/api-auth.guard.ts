import { timingSafeEqual, createHash } from 'node:crypto';
import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request } from 'express';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Guards the JSON API: the host panel's own `authorizeApi` when it gives one, otherwise a
 * bearer token compared in constant time. With neither configured the API is closed.
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
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]), digest(token))) {
      throw new UnauthorizedException('Missing or wrong bearer token.');
    }
    return true;
  }
}
