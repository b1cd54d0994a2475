import type { Request, Response } from 'express';
import { readCookies } from './cookies';

/** A message shown once on the next page after a form was posted (post, redirect, get). */
export interface Flash {
  readonly kind: 'success' | 'error' | 'info';
  readonly text: string;
}

const COOKIE = 'mta_sts_flash';
/** Cookies hold about 4 KB; longer messages are cut. */
const MAX_TEXT = 1500;

export function setFlash(request: Request, response: Response, flash: Flash): void {
  const text = flash.text.length > MAX_TEXT ? `${flash.text.slice(0, MAX_TEXT)}…` : flash.text;
  response.cookie(COOKIE, JSON.stringify({ kind: flash.kind, text }), {
    httpOnly: true,
    sameSite: 'lax',
    secure: request.secure,
    path: '/',
  });
}

export function takeFlash(request: Request, response: Response): Flash | undefined {
  const raw = readCookies(request)[COOKIE];
  if (!raw) return undefined;
  response.clearCookie(COOKIE, { path: '/' });
  try {
    const parsed = JSON.parse(raw) as Partial<Flash>;
    if (
      (parsed.kind === 'success' || parsed.kind === 'error' || parsed.kind === 'info') &&
      typeof parsed.text === 'string'
    ) {
      return { kind: parsed.kind, text: parsed.text };
    }
  } catch {
    // Not ours, or damaged: show nothing.
  }
  return undefined;
}
