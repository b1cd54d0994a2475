import { readFileSync } from 'node:fs';
import { InvalidOptionError } from './domain/errors';

/**
 * Reads the PEM file an option names (an extra CA), failing at start-up with the option's
 * name when it cannot be read or holds no certificate. Undefined when no file is set.
 */
export function readPemOption(option: string, file: string | undefined): string | undefined {
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidOptionError(option, `cannot read ${file}: ${(error as Error).message}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new InvalidOptionError(option, `${file} holds no PEM certificate`);
  }
  return text;
}
