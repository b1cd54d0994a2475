import {
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Param,
  Post,
  Req,
  UseFilters,
  UseGuards,
  UsePipes,
} from '@nestjs/common';
import type { Request } from 'express';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { DnsPublishing, PublicationPreview, PublicationResult } from '../services/dns-publishing';
import { actorOf } from './actor';
import { ApiAuthGuard } from './api-auth.guard';
import { BodyShapePipe } from './body-shape.pipe';
import { MtaStsErrorFilter } from './mta-sts-error.filter';

/** The JSON API of DNS publishing: what would be written, and writing it. */
@Controller('api/domains')
@UseGuards(ApiAuthGuard)
@UseFilters(MtaStsErrorFilter)
@UsePipes(new BodyShapePipe())
export class DnsPublishingApiController {
  constructor(
    private readonly publishing: DnsPublishing,
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
  ) {}

  /** The records publishing would write now, read from the zone's primary; writes nothing. */
  @Get(':domain/dns')
  preview(@Param('domain') domain: string): Promise<PublicationPreview> {
    return this.publishing.preview(domain);
  }

  /** Writes the records that are not live yet; 409 with the reason when a name holds something else. */
  @Post(':domain/dns/publish')
  @HttpCode(HttpStatus.OK)
  async publish(@Param('domain') domain: string, @Req() request: Request): Promise<PublicationResult> {
    return this.publishing.publish(domain, await actorOf(this.options, request, 'api'));
  }
}
