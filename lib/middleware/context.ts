import type { Response } from 'express';
import type { Credentials } from '../auth/credentials';
import type { ResolvedManifest } from '../oci/resolved-manifest';
import type { RouteKind } from '../oci/routes';
import type { ReferrersLookup } from '../referrers/lookup';
import type { Authorizer, UpstreamSender } from '../upstream/exchange';
import type { Selection } from '../upstream/select';
import type { ServedFrom } from '../http/access-log';
import type { Upstream } from '../upstream/upstream';

/**
 * Everything one request carries through the plugin stack. Plugins read and
 * fill it; the route's final step answers from it.
 */
export interface MirrorContext {
  requestId: string;
  /** When the mirror received the request (clock milliseconds). */
  startedAt: number;
  upstream: Upstream;
  /** How the client named the registry (request shape), kept for the links it follows. */
  selection: Selection;
  /** The registry's client, or the chain of its `.endpoint`s. */
  client: UpstreamSender;
  route: RouteKind;
  /** The repository name on the upstream, validated (`library/redis` for Docker Hub's `redis`). */
  repository: string;
  /** The tag or digest (manifests), digest (blobs, referrers); absent for tags/list. */
  reference?: string;
  referenceKind?: 'tag' | 'digest';
  credentials?: Credentials;
  authorizer?: Authorizer;
  manifest?: ResolvedManifest;
  /** Where `.discover` looks for referrers; `.teleport` uses it. */
  discovery?: ReferrersLookup;
  /**
   * A HEAD the upstream must answer, not the cache: when the mirror takes
   * pushes, a HEAD asks whether the content is in this repository (a
   * pusher's existence check before each upload), which only the registry
   * knows; the cache is by digest across repositories. Set by the router.
   */
  headFromUpstream?: boolean;
  /** Aborted when the client goes away before the answer is complete. */
  signal: AbortSignal;
  /** Where the answer came from, for the status page's list of requests; set by `.pull` and `.resolve`. */
  servedFrom?: ServedFrom;
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
