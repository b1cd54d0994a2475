import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { BADGES, Badge } from '../domain/checks';
import { MAX_NAME } from '../domain/hostname';
import { MAX_PAGE_SIZE } from '../services/domains.service';

/** Domains in one API answer unless asked otherwise: a provider's thousands come a page at a time. */
export const DEFAULT_API_PAGE_SIZE = 100;

/** `GET /api/domains?page=&pageSize=&q=&badge=`. */
export class ListDomainsQueryDto {
  /** 1-based; past the last page answers the last page. */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'page must be a whole number' })
  @Min(1, { message: 'page must be 1 or more' })
  @Max(1_000_000, { message: 'page must be at most 1000000' })
  page?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'pageSize must be a whole number' })
  @Min(1, { message: `pageSize must be between 1 and ${MAX_PAGE_SIZE}` })
  @Max(MAX_PAGE_SIZE, { message: `pageSize must be between 1 and ${MAX_PAGE_SIZE}` })
  pageSize?: number;

  /** Part of a domain name, Unicode or A-label. */
  @IsOptional()
  @IsString({ message: 'q must be a single string' })
  @MaxLength(MAX_NAME, { message: `q must be at most ${MAX_NAME} characters` })
  q?: string;

  @IsOptional()
  @IsIn(BADGES, { message: `badge must be one of ${BADGES.join(', ')}` })
  badge?: Badge;
}
