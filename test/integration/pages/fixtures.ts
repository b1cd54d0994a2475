import 'reflect-metadata';
import { CertificateInfo, describeCertificate } from '../../../src/mta-sts/domain/certificate';
import { OperationFailedError } from '../../../src/mta-sts/domain/errors';
import { MtaStsDomainEntity } from '../../../src/mta-sts/persistence';
import { IssuedCertificate } from '../../../src/mta-sts/ports';
import { Fakes, SERVER_IPV4, TestApp } from '../helpers/provisioning-app';
import { makeCertificate } from '../helpers/renewal-app';
import { makePagesFakes } from '../helpers/pages-app';
import { PageAnswer, cardsOf, decode, elementsWithClass, textOf } from '../helpers/html';

export const MINUTE = 60_000;
export const DAY = 86_400_000;

/** All checks pass (TXT records published as the card asks). */
export const ACTIVE = 'active.example';
/** Enabled a minute ago; the _mta-sts TXT has an old id and _smtp._tls is missing. */
export const VERIFYING = 'verifying.example';
/** Enable failed: the CA refused the order. */
export const BROKEN = 'broken.example';
/** Added, never enabled. */
export const IDLE = 'idle.example';
/** bücher.example, added, never enabled. */
export const IDN = 'xn--bcher-kva.example';
/** Stuck in provisioning at the certificate step (set in the database). */
export const PENDING = 'pending.example';

export const OLD_ID = 'oldid123';
export const CA_REFUSAL = 'The certificate authority refused to issue a certificate for mta-sts.broken.example.';
export const CA_DETAIL = 'urn:ietf:params:acme:error:rejectedIdentifier: policy forbids issuing for name';

export const hostOf = (domain: string) => `mta-sts.${domain}`;
/** A time as the card writes it: `2026-11-22 12:27 UTC`. */
export const minuteOf = (at: Date) => `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
export const cardPath = (domain: string) => `/mta-sts/domains/${domain}`;

/** A sqlite row for a domain added straight to the database (bulk lists). */
export function row(name: string, extra: Partial<MtaStsDomainEntity> = {}): Partial<MtaStsDomainEntity> {
  return {
    name,
    state: 'inactive',
    badge: 'inactive',
    step: null,
    errorStep: null,
    errorMessage: null,
    mode: 'testing',
    maxAge: 604_800,
    mx: [`mx.${name}`],
    mxProblem: null,
    mxCheckedAt: null,
    servedPolicyId: null,
    certIssuer: null,
    certNotBefore: null,
    certNotAfter: null,
    certDirectoryUrl: null,
    enabledAt: null,
    reissues: [],
    ...extra,
  };
}

/** A `<li>` card of the list page for one domain (by its link). */
export function cardFor(html: string, domain: string): string {
  const card = cardsOf(html).find((item) => item.includes(`href="/mta-sts/domains/${domain}"`));
  if (!card) throw new Error(`no card for ${domain}`);
  return card;
}

/** The checks on a card page, as [title, status word, summary, remedy]. */
export function checksOf(html: string): { title: string; status: string; summary: string; remedy: string | null }[] {
  return elementsWithClass(html, 'li', 'check').map((item) => {
    const paragraphs = [...item.matchAll(/<p\b([^>]*)>([\s\S]*?)<\/p>/g)];
    const status = textOf(elementsWithClass(item, 'span', 'status')[0] ?? '').replace(/^[✓!✕]\s*/, '');
    const remedy = paragraphs.find((p) => p[1].includes('remedy'));
    return {
      title: textOf(/<strong>([\s\S]*?)<\/strong>/.exec(paragraphs[0][2])![1]),
      status,
      summary: textOf(paragraphs[1][2]),
      remedy: remedy ? textOf(remedy[2]).replace(/^What to do:\s*/, '') : null,
    };
  });
}

/** The DNS records table rows as [name, type, value, in-DNS column]. */
export function recordRows(html: string): string[][] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)![1];
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((tr) =>
    [...tr[1].matchAll(/<td>([\s\S]*?)<\/td>/g)].map((td) =>
      // The copy button's text is not part of the value.
      textOf(td[1].replace(/<button[\s\S]*?<\/button>/g, '')),
    ),
  );
}

export function preOf(html: string, className: string): string {
  const match = new RegExp(`<pre class="${className}">([\\s\\S]*?)</pre>`).exec(html);
  if (!match) throw new Error(`no <pre class="${className}">`);
  return decode(match[1]);
}

export function flashOf(html: string): string | null {
  const match = /<p class="flash flash-(\w+)"[^>]*>([\s\S]*?)<\/p>/.exec(html);
  return match ? `${match[1]}: ${textOf(match[2])}` : null;
}

export function expectHtml(answer: PageAnswer, status = 200): string {
  expect(answer.status).toBe(status);
  expect(String(answer.headers['content-type'])).toMatch(/^text\/html/);
  return answer.text;
}

/**
 * What the pages specs share: test certificates for the domains that reach Active or
 * Verifying, the moment the fake clock starts (just after they were issued), and the fakes
 * and seeding every scenario builds on.
 */
export class PagesFixture {
  readonly certificates = new Map<string, IssuedCertificate>();
  readonly infos: Map<string, CertificateInfo>;
  readonly start: Date;

  constructor() {
    for (const domain of [ACTIVE, VERIFYING])
      this.certificates.set(hostOf(domain), makeCertificate(hostOf(domain), 90));
    this.infos = new Map(
      [...this.certificates].map(([host, issued]) => [host, describeCertificate(issued.certificatePem)]),
    );
    const latest = Math.max(...[...this.infos.values()].map((info) => info.notBefore.getTime()));
    this.start = new Date(latest + MINUTE);
  }

  /** Fakes answering for every test domain; TXT records as each scenario needs them. */
  fakesFor(dataDir: string): Fakes {
    const fakes = makePagesFakes(dataDir, this.certificates, [hostOf(BROKEN)]);
    for (const domain of [ACTIVE, VERIFYING, BROKEN, IDLE, IDN, PENDING]) {
      fakes.dns.mx.set(domain, [{ exchange: `mx.${domain}`, priority: 10 }]);
      fakes.dns.addresses.set(hostOf(domain), { 4: [SERVER_IPV4], 6: [] });
    }
    fakes.dns.txt.set(`_mta-sts.${VERIFYING}`, [`v=STSv1; id=${OLD_ID}`, 'google-site-verification=abc']);
    fakes.dns.txt.set(`_smtp._tls.${VERIFYING}`, []);
    const issue = fakes.ca.answer!;
    fakes.ca.answer = async (host, responder) => {
      if (host === hostOf(BROKEN)) throw new OperationFailedError(CA_REFUSAL, CA_DETAIL);
      return issue(host, responder);
    };
    return fakes;
  }

  async enable(app: TestApp, domain: string): Promise<void> {
    await app.provisioning.enable(domain);
    await app.provisioning.settled(domain);
  }

  /** Adds ACTIVE with its TXT records published exactly as asked, and enables it. */
  async addActive(app: TestApp): Promise<void> {
    const added = await app.domains.add(ACTIVE);
    app.dns.txt.set(`_mta-sts.${ACTIVE}`, [`v=STSv1; id=${added.policy!.id}`]);
    app.dns.txt.set(`_smtp._tls.${ACTIVE}`, [`v=TLSRPTv1; rua=mailto:tls-reports@${ACTIVE}`]);
    await this.enable(app, ACTIVE);
  }

  async seedEveryState(app: TestApp): Promise<void> {
    await this.addActive(app);
    await app.domains.add(VERIFYING);
    await this.enable(app, VERIFYING);
    await app.domains.add(BROKEN);
    await this.enable(app, BROKEN);
    await app.domains.add(IDLE);
    await app.domains.add('bücher.example');
    await app.domains.add(PENDING);
    await app.domainRows.update({ name: PENDING }, { state: 'provisioning', step: 'certificate', badge: 'verifying' });
  }
}
