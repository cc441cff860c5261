import express, { type Router } from 'express';
import type { MirrorServices } from '../services';
import type { UpstreamSet } from '../upstream/upstream';
import { loopbackOnly } from './loopback';
import { collectStatus } from './status-data';
import { renderStatusPage } from './status-page';

/** Seconds between the page's reloads unless `?refresh=` says otherwise (0: never). */
const DEFAULT_REFRESH = 5;

/**
 * `GET /_lifec/` (the status page) and `GET /_lifec/status.json` (the same
 * data as JSON), loopback clients only, like `/auth`. The page runs no script:
 * a CSP forbids every source but its inline style.
 */
export function statusEndpoint(services: MirrorServices, upstreams: UpstreamSet): Router {
  const router = express.Router({ strict: true });
  router.use('/_lifec', loopbackOnly('the status page'));
  router.get('/_lifec', (_req, res) => res.redirect(301, '/_lifec/'));
  router.get('/_lifec/', async (req, res) => {
    const refresh = Number(req.query.refresh ?? DEFAULT_REFRESH);
    const seconds = Number.isFinite(refresh) && refresh >= 0 ? Math.min(3600, Math.round(refresh)) : DEFAULT_REFRESH;
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.type('html').send(renderStatusPage(await collectStatus(services, upstreams), seconds));
  });
  router.get('/_lifec/status.json', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await collectStatus(services, upstreams));
  });
  return router;
}
