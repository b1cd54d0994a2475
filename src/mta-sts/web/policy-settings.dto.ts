import { IsIn, IsInt } from 'class-validator';
import { POLICY_MODES, PolicyMode } from '../domain/policy';

export class SetModeDto {
  @IsIn(POLICY_MODES, { message: `mode must be one of ${POLICY_MODES.join(', ')}` })
  mode!: PolicyMode;
}

export class SetMaxAgeDto {
  /** Range-checked by the policy rules (86400 to 31557600). */
  @IsInt({ message: 'maxAge must be a whole number of seconds' })
  maxAge!: number;
}
