import { readFileSync, statSync } from 'node:fs';
import type { DnsPublishingOptions } from '../index';
import { InvalidSettingError } from './settings-error';

const VARIABLE = 'MTA_STS_DNS_ZONES_FILE';

/**
 * The zones the panel may write, from the JSON file `MTA_STS_DNS_ZONES_FILE` names
 * (`{ "zones": [...], "ttl": 300 }`, see README). It holds TSIG secrets and API keys, so
 * a file other users may read is refused rather than used.
 */
export function dnsPublishingFromFile(path: string | undefined): DnsPublishingOptions | undefined {
  if (path === undefined || path.trim() === '') return undefined;
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidSettingError(
      VARIABLE,
      `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  if ((mode & 0o077) !== 0) {
    throw new InvalidSettingError(
      VARIABLE,
      `${path} holds secrets but other users may read it (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidSettingError(VARIABLE, `${path} is not JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { zones?: unknown }).zones)) {
    throw new InvalidSettingError(VARIABLE, `${path} must hold an object with a "zones" list`);
  }
  return parsed as DnsPublishingOptions;
}
