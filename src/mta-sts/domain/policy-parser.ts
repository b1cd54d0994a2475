import { MAX_AGE_MAX, POLICY_MODES, Policy, PolicyMode } from './policy';

/**
 * Reads a policy file the way a strict sender does (RFC 8461 §3.2), to check what a
 * policy host actually serves. Returns every problem found, by name, rather than the first.
 */
export interface ParsedPolicy {
  readonly policy?: Policy;
  readonly problems: readonly string[];
}

const MX_PATTERN = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;

export function parsePolicy(text: string): ParsedPolicy {
  const problems: string[] = [];
  if (/(^|[^\r])\n/.test(text)) problems.push('a line ends with a bare LF instead of CRLF');
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const fields = new Map<string, string[]>();
  lines.forEach((line, index) => {
    const match = /^([A-Za-z0-9_]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!match) {
      problems.push(`line ${index + 1} is not "key: value"${line === '' ? ' (blank line)' : ''}`);
      return;
    }
    fields.set(match[1], [...(fields.get(match[1]) ?? []), match[2]]);
  });
  for (const [key, values] of fields) {
    if (key !== 'mx' && values.length > 1) problems.push(`${key} appears ${values.length} times`);
  }
  const version = fields.get('version')?.[0];
  if (version !== 'STSv1') problems.push(version ? `version is "${version}", not STSv1` : 'version is missing');
  else if (!lines[0]?.startsWith('version:')) problems.push('version is not the first line');
  const mode = fields.get('mode')?.[0];
  if (!mode) problems.push('mode is missing');
  else if (!(POLICY_MODES as readonly string[]).includes(mode))
    problems.push(`mode "${mode}" is not testing, enforce or none`);
  const rawMaxAge = fields.get('max_age')?.[0];
  const maxAge = rawMaxAge !== undefined && /^\d{1,10}$/.test(rawMaxAge) ? Number(rawMaxAge) : undefined;
  if (rawMaxAge === undefined) problems.push('max_age is missing');
  else if (maxAge === undefined || maxAge > MAX_AGE_MAX)
    problems.push(`max_age "${rawMaxAge}" is not 0 to ${MAX_AGE_MAX}`);
  const mx = fields.get('mx') ?? [];
  for (const pattern of mx) {
    if (!MX_PATTERN.test(pattern)) problems.push(`mx "${pattern}" is not a lower-case host name or *.domain`);
  }
  if (mode && mode !== 'none' && mx.length === 0) problems.push('no mx line although mode is not none');
  if (problems.length > 0 || !mode || maxAge === undefined) return { problems };
  return { policy: { mode: mode as PolicyMode, mx, maxAge }, problems };
}

/**
 * Whether an MX host name matches a policy `mx` pattern (RFC 8461 §4.1): exactly, or by a
 * `*.` wildcard standing for exactly one leftmost label.
 */
export function mxMatches(pattern: string, host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (!pattern.startsWith('*.')) return pattern === name;
  const dot = name.indexOf('.');
  return dot > 0 && name.slice(dot + 1) === pattern.slice(2);
}
