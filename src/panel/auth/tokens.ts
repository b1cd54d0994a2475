/** The configured users (`PanelUser[]`). */
export const PANEL_USERS = Symbol('PANEL_USERS');
/** The session cookie signer (`SessionCookies`). */
export const SESSIONS = Symbol('SESSIONS');
