import { join } from 'node:path';
import { Controller, Get, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { VIEWS_DIR } from '../../../paths';
import { readTextFileSync } from '../../adapters/fs.file-store';
import type { ResolvedMtaStsOptions } from '../../mta-sts.options';
import { MTA_STS_OPTIONS } from '../../mta-sts.tokens';
import { setPageSecurityHeaders } from './page-headers';

/** A Map, not an object: a name from the URL must never reach `Object.prototype`. */
const ASSETS = new Map<string, string>([
  ['panel.css', 'text/css; charset=utf-8'],
  ['panel.js', 'text/javascript; charset=utf-8'],
]);

/** The pages' stylesheet and script: public (a sign-in page needs them too), nothing else. */
@Controller('mta-sts/assets')
export class PageAssetsController {
  private readonly cache = new Map<string, string>();

  constructor(@Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions) {}

  @Get(':file')
  asset(@Param('file') file: string, @Res() response: Response): void {
    setPageSecurityHeaders(response, this.options.pages.contentSecurityPolicy);
    const type = ASSETS.get(file);
    if (!type) throw new NotFoundException();
    if (!this.cache.has(file)) this.cache.set(file, readTextFileSync(join(VIEWS_DIR, 'assets', file)));
    response.type(type).setHeader('Cache-Control', 'public, max-age=3600');
    response.send(this.cache.get(file));
  }
}
