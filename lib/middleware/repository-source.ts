import { Header } from '../oci/mediatypes';
import type { RepositorySource } from '../referrers/source';
import type { MirrorContext } from './context';

/** The request's upstream and repository, with its authorizer (set by `.authn`). */
export function sourceOf(ctx: MirrorContext): RepositorySource {
  return {
    registry: ctx.upstream.host,
    repository: ctx.repository,
    origin: ctx.upstream.origin,
    send: (request, signal) => ctx.client.send({ ...request, headers: { [Header.requestId]: ctx.requestId, ...request.headers }, signal }, ctx.authorizer),
  };
}
