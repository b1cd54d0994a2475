import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';

/**
 * HTTP hardening of the standalone panel: security headers with a Content-Security-Policy
 * the pages satisfy (no inline script or style anywhere), and `req.secure` from the
 * trusted reverse proxy (`MTA_STS_TRUST_PROXY`) so cookies get `Secure` behind HTTPS.
 */
export function configurePanel(app: INestApplication, trustProxy: string | number | false = 'loopback'): void {
  const express = app as NestExpressApplication;
  express.set('trust proxy', trustProxy);
  express.disable('x-powered-by');
  express.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
        },
      },
      referrerPolicy: { policy: 'same-origin' },
    }),
  );
}
