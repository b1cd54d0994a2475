import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ResolvedMtaStsOptions } from '../../mta-sts.options';
import { MTA_STS_OPTIONS } from '../../mta-sts.tokens';
import { CsrfBinding, csrfToken, csrfValid } from './csrf';

/** CSRF tokens of the module's pages, bound to the host's session (`pages.sessionKey`). */
@Injectable()
export class PageCsrf {
  /** Without `pages.csrfSecret`, a secret of this process: forms open across a restart expire. */
  private readonly secret: string;

  constructor(@Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions) {
    this.secret = options.pages.csrfSecret ?? randomBytes(32).toString('hex');
  }

  async token(request: Request, response: Response): Promise<string> {
    return csrfToken(request, response, await this.binding(request));
  }

  async valid(request: Request): Promise<boolean> {
    return csrfValid(request, await this.binding(request));
  }

  private async binding(request: Request): Promise<CsrfBinding> {
    const sessionKey = this.options.pages.sessionKey ? await this.options.pages.sessionKey(request) : null;
    return { secret: this.secret, sessionKey };
  }
}
