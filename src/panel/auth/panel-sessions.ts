import type { Request, Response } from 'express';
import type { PageRole } from '../../index';
import { Session, SessionCookies } from './session';
import { SessionRegistry } from './session-registry';

/** The standalone panel's sessions: a signed cookie naming a session the server still holds open. */
export class PanelSessions {
  /** One look-up per request, however many times the module asks (role, actor, CSRF). */
  private readonly seen = new WeakMap<object, Promise<Session | undefined>>();

  constructor(
    private readonly cookies: SessionCookies,
    private readonly registry: SessionRegistry,
  ) {}

  async signIn(request: Request, response: Response, user: string, role: PageRole): Promise<void> {
    const session = this.cookies.issue(request, response, user, role);
    await this.registry.open(session.sid, user, session.expires);
  }

  current(request: Request): Promise<Session | undefined> {
    let found = this.seen.get(request);
    if (!found) {
      const session = this.cookies.read(request);
      found = session
        ? this.registry.isOpen(session.sid, session.user).then((open) => (open ? session : undefined))
        : Promise.resolve(undefined);
      this.seen.set(request, found);
    }
    return found;
  }

  /** Ends the session on the server, so its cookie is worthless wherever it is kept. */
  async signOut(request: Request, response: Response): Promise<void> {
    const session = this.cookies.read(request);
    if (session) await this.registry.close(session.sid);
    this.cookies.clear(response);
  }
}
