/** What the panel says about writing a domain's records into its zone. */

export const publishing = {
  manual: (domain: string) =>
    `${domain} is in no zone the panel may write: publish its records by hand as the card lists them, or add its zone to the DNS publishing settings.`,
  refused: (domain: string, refusals: readonly string[]) =>
    `The records of ${domain} were not published: ${refusals.join(' ')}`,
  nothingToDo: 'Every record is live already; nothing was written.',
  published: (count: number, via: string) => `Published ${count} record${count === 1 ? '' : 's'} through ${via}.`,
  waiting: (servers: readonly string[]) =>
    `Not every authoritative server answers the new id yet (${servers.join(', ')}); the checks mark it visible once they do.`,
  trail: (steps: readonly string[], via: string) => `${steps.join('; ')} (through ${via}).`,
  withdrawn: (steps: readonly string[], via: string) => `Removed from DNS: ${steps.join('; ')} (through ${via}).`,
};
