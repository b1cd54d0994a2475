import { InvalidOptionError } from '../domain/errors';
import type { HostFacts } from './host-facts';

/**
 * Reads the PEM file an option names (an extra CA), failing at start-up with the option's
 * name when it cannot be read or holds no certificate. Undefined when no file is set.
 */
export function readPemOption(option: string, file: string | undefined, facts: HostFacts): string | undefined {
  if (!file) return undefined;
  let text: string;
  try {
    text = facts.readText(file);
  } catch (error) {
    throw new InvalidOptionError(option, `cannot read ${file}: ${(error as Error).message}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new InvalidOptionError(option, `${file} holds no PEM certificate`);
  }
  return text;
}
