import { IsBoolean, IsIn, IsInt, IsOptional } from 'class-validator';

/** `none` is not a mode to set: Disable retires a domain with it (RFC 8461 §8.3). */
const SETTABLE_MODES = ['testing', 'enforce'] as const;

export class SetModeDto {
  @IsIn(SETTABLE_MODES, { message: 'mode must be testing or enforce (use disable to retire a domain)' })
  mode!: (typeof SETTABLE_MODES)[number];

  /**
   * Promote although the TLS reports of the last 14 days hold failures; recorded in the
   * audit trail. Failing readiness checks still refuse.
   */
  @IsOptional()
  @IsBoolean({ message: 'overrideReports must be true or false' })
  overrideReports?: boolean;
}

export class DisableDto {
  /**
   * Remove the policy host now instead of retiring it. Senders that cached the policy may
   * keep applying it until its max_age has passed.
   */
  @IsOptional()
  @IsBoolean({ message: 'now must be true or false' })
  now?: boolean;
}

export class SetMaxAgeDto {
  /** Range-checked by the policy rules (86400 to 31557600). */
  @IsInt({ message: 'maxAge must be a whole number of seconds' })
  maxAge!: number;
}
