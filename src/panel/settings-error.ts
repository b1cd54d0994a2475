/** A start-up setting is wrong; the message names the variable. */
export class InvalidSettingError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'InvalidSettingError';
  }
}
