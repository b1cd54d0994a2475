import { InvalidOptionError } from '../index';

/** A start-up setting is wrong; the message names the variable. */
export class InvalidSettingError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'InvalidSettingError';
  }

  /** The module's complaint about an option, told of the variable that set it. */
  static fromOption(error: InvalidOptionError, variable = error.option): InvalidSettingError {
    return new InvalidSettingError(variable, error.message.slice(error.option.length + 2));
  }
}
