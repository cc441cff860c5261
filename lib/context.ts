import type { Response } from 'express';
import type { ReferrersLookup } from './referrers/lookup';
import type { Authorizer, UpstreamClient } from './upstream/client';
import type { Upstream } from './upstream/upstream';

/** The API a route serves: `/v2/<name>/<kind>/…`. */
export type RouteKind = 'manifests' | 'blobs' | 'tags' | 'referrers';

/** A manifest as `.resolve` found it upstream (or a later plugin replaced it). */
export interface ResolvedManifest {
  /** The upstream status (200 for a found manifest). */
  status: number;
  mediaType: string;
  digest: string;
  size: number;
  /** The exact bytes; absent after a HEAD that no plugin needed the body of. */
  body?: Buffer;
  /** Extra headers to send with it (e.g. `Lifec-Teleport`). */
  headers: Record<string, string>;
}

/** Credentials for the request's upstream, set by `.login`. */
export interface Credentials {
  /** The registry host these belong to; never used for another. */
  registry: string;
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (ACR, `identitytoken` in Docker's config.json). */
  refreshToken?: string;
}

/**
 * Everything one request carries through the plugin stack. Plugins read and
 * fill it; the route's final step answers from it.
 */
export interface MirrorContext {
  requestId: string;
  /** When the mirror received the request (clock milliseconds). */
  startedAt: number;
  upstream: Upstream;
  client: UpstreamClient;
  route: RouteKind;
  /** The repository name, validated. */
  repository: string;
  /** The tag or digest (manifests), digest (blobs, referrers); absent for tags/list. */
  reference?: string;
  referenceKind?: 'tag' | 'digest';
  credentials?: Credentials;
  authorizer?: Authorizer;
  manifest?: ResolvedManifest;
  /** Where `.discover` looks for referrers; `.teleport` uses it. */
  discovery?: ReferrersLookup;
  /** Aborted when the client goes away before the answer is complete. */
  signal: AbortSignal;
}

declare global {
  // Express's own extension point for typed `res.locals`.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      mirror: MirrorContext;
    }
  }
}

/** The request's context; set by the router before any plugin runs. */
export function mirrorContext(res: Response): MirrorContext {
  return res.locals.mirror;
}
