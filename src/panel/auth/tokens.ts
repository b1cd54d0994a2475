/** The configured users (`PanelUser[]`). */
export const PANEL_USERS = Symbol('PANEL_USERS');
/** The sessions (`PanelSessions`). */
export const SESSIONS = Symbol('SESSIONS');
/** Failed sign-ins per account and address (`SignInThrottle`). */
export const SIGN_IN_THROTTLE = Symbol('SIGN_IN_THROTTLE');
/** The secret the sign-in form's CSRF token is signed with. */
export const LOGIN_CSRF_SECRET = Symbol('LOGIN_CSRF_SECRET');
