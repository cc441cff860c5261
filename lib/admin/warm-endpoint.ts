import express, { type Request, type Router } from 'express';
import { MirrorError } from '../errors';
import { hostPlatform, parsePlatform, type Platform } from '../oci/platform';
import type { MirrorServices } from '../services';
import { parseWarmReferences, type WarmRequest } from '../warm/job';
import { loopbackOnly } from './loopback';

/** More references than this in one job is a list to split, not a warm. */
const MAX_REFERENCES = 500;

/**
 * The warm API (loopback only):
 * `POST /_lifec/warm` with `{"references":[…],"platforms":["linux/arm64"] | "all"}`
 * (or a bare JSON list of references) starts a job and answers 202 with its
 * report (`id` included); `GET /_lifec/warm/<id>` reports per-image progress;
 * `DELETE /_lifec/warm/<id>` cancels it; `GET /_lifec/warm` lists the jobs.
 * Platforms default to the mirror host's own.
 */
export function warmEndpoint(services: Pick<MirrorServices, 'warm' | 'cache'>): Router {
  const router = express.Router();
  router.use('/_lifec/warm', loopbackOnly('the warm API'));
  router.post('/_lifec/warm', express.json({ limit: '256kb', strict: false, type: 'application/json' }), (req, res) => {
    if (!services.cache.content) throw new MirrorError(409, 'UNSUPPORTED', 'the cache is off (".cache off"): there is nothing to warm');
    const job = services.warm.start(warmRequest(req), originOf(req));
    res.status(202).setHeader('Location', `/_lifec/warm/${job.id}`);
    res.json(job.report());
  });
  router.get('/_lifec/warm', (_req, res) => {
    res.json({ jobs: services.warm.reports() });
  });
  router.get('/_lifec/warm/:id', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(jobOf(services, req).report());
  });
  router.delete('/_lifec/warm/:id', (req, res) => {
    const job = jobOf(services, req);
    job.cancel();
    res.json(job.report());
  });
  return router;
}

function jobOf(services: Pick<MirrorServices, 'warm'>, req: Request): NonNullable<ReturnType<MirrorServices['warm']['get']>> {
  const job = services.warm.get(String(req.params.id));
  if (!job) throw new MirrorError(404, 'UNSUPPORTED', 'no warm job with that id (finished jobs are kept for a while only)');
  return job;
}

/** The job the body asks for; 400 for anything else. */
function warmRequest(req: Request): WarmRequest {
  if (!req.is('application/json')) throw new MirrorError(415, 'UNSUPPORTED', 'send the references as JSON (Content-Type: application/json)');
  const body: unknown = req.body;
  const object = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const references = Array.isArray(body) ? body : object.references;
  if (!Array.isArray(references) || references.length === 0 || !references.every((r) => typeof r === 'string')) {
    throw new MirrorError(400, 'UNSUPPORTED', 'expected {"references":["registry/repository:tag", …]} or a JSON list of references');
  }
  if (references.length > MAX_REFERENCES) throw new MirrorError(400, 'UNSUPPORTED', `at most ${MAX_REFERENCES} references per job`);
  try {
    parseWarmReferences(references);
  } catch (err) {
    throw new MirrorError(400, 'NAME_INVALID', (err as Error).message);
  }
  return { references, platforms: platformsOf(object.platforms), source: 'api' };
}

function platformsOf(value: unknown): Platform[] | 'all' {
  if (value === undefined || value === null) return [hostPlatform()];
  if (value === 'all') return 'all';
  if (!Array.isArray(value) || value.length === 0 || !value.every((p) => typeof p === 'string')) {
    throw new MirrorError(400, 'UNSUPPORTED', 'platforms is "all" or a list like ["linux/amd64"]');
  }
  try {
    return value.map((p: string) => parsePlatform(p));
  } catch (err) {
    throw new MirrorError(400, 'UNSUPPORTED', (err as Error).message);
  }
}

/** The address this request reached the mirror on, for a mirror mounted in another app (its server did not announce one). */
function originOf(req: Request): string {
  const address = req.socket.localAddress ?? '127.0.0.1';
  return `${req.secure ? 'https' : 'http'}://${address.includes(':') ? `[${address}]` : address}:${req.socket.localPort ?? 80}`;
}
