import { IsString, MaxLength, MinLength } from 'class-validator';

export class AddDomainDto {
  /** The mail domain, e.g. `example.com` or `bücher.example`; checked in full by `parseDomainName`. */
  @IsString({ message: 'domain must be a string, e.g. "example.com"' })
  @MinLength(1, { message: 'domain must not be empty' })
  @MaxLength(300, { message: 'domain must be at most 253 characters long' })
  domain!: string;
}
