import express, { type Router } from 'express';
import { methodNotAllowed } from '../http/not-served';
import type { MirrorServices } from '../services';

/** One readiness condition and whether it holds. */
export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

/**
 * `/metrics` (Prometheus text format), `/healthz` (the process answers) and
 * `/readyz` (the config compiled, the cache directory is writable, not every
 * upstream's circuit is open). They are served on the mirror's own address,
 * which binds loopback unless the config says otherwise.
 */
export function adminRouter(services: Pick<MirrorServices, 'metrics' | 'cache' | 'resilience'>): Router {
  const router = express.Router();
  router.get('/metrics', async (_req, res) => {
    const registry = services.metrics.registry;
    res.setHeader('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });
  router.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  router.get('/readyz', async (_req, res) => {
    const checks = await readiness(services);
    const ready = checks.every((c) => c.ok);
    res.status(ready ? 200 : 503).json({ ready, checks });
  });
  router.all(['/metrics', '/healthz', '/readyz'], methodNotAllowed(['GET', 'HEAD']));
  return router;
}

/** The conditions `/readyz` reports; the mirror is ready when all hold. */
export async function readiness(services: Pick<MirrorServices, 'cache' | 'resilience'>): Promise<ReadinessCheck[]> {
  // A mirror exists only once its runmd compiled, so that check always holds here.
  const checks: ReadinessCheck[] = [{ name: 'config', ok: true }];
  const content = services.cache.content;
  if (content) {
    checks.push({ name: 'cache', ok: await content.writable(), detail: content.store.dir });
  }
  const breakers = services.resilience.breakers();
  const open = breakers.filter((b) => b.state === 'open').map((b) => b.host);
  checks.push({
    name: 'upstreams',
    ok: breakers.length === 0 || open.length < breakers.length,
    detail: open.length > 0 ? `open circuit: ${open.join(', ')}` : undefined,
  });
  return checks;
}
