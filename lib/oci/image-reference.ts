import { isValidDigest, isValidName, isValidTag } from './reference';

/** An image reference split the way containerd and Docker split it (distribution/reference `ParseNormalizedNamed`). */
export interface ImageReference {
  /** The registry host as `ns` names it: `docker.io`, `127.0.0.1:5000`, `example.azurecr.io`. */
  registry: string;
  /** The repository in that registry: `library/redis`, `team/app`. */
  repository: string;
  /** The tag, when the reference has one (`latest` when it has neither tag nor digest). */
  tag?: string;
  /** The digest, when the reference pins one (`@sha256:…`); it wins over the tag. */
  digest?: string;
}

/** Docker Hub's name in references and in `ns`. */
export const DOCKER_HUB = 'docker.io';

/**
 * Parses `registry/repo:tag`, `repo@sha256:…` or `redis:7` as Docker and
 * containerd read them: the first component is a registry when it has a dot
 * or a port or is `localhost`; otherwise the image is on Docker Hub, where a
 * single-component name is `library/<name>` (`redis:7` is
 * `docker.io/library/redis:7`). Without tag or digest the tag is `latest`.
 *
 * @throws Error with a readable reason when the text is not a reference
 */
export function parseImageReference(text: string): ImageReference {
  const input = text.trim();
  const at = input.indexOf('@');
  const digest = at >= 0 ? input.slice(at + 1) : undefined;
  const named = at >= 0 ? input.slice(0, at) : input;
  if (digest !== undefined && !isValidDigest(digest)) throw new Error(`"${text}" has an invalid digest`);
  const slash = named.indexOf('/');
  const first = slash >= 0 ? named.slice(0, slash) : '';
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first.toLowerCase() : DOCKER_HUB;
  const rest = hasRegistry ? named.slice(slash + 1) : named;
  // A colon after the last slash starts the tag (a registry port sits before the first slash).
  const colon = rest.lastIndexOf(':');
  const tag = colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : undefined;
  let repository = tag === undefined ? rest : rest.slice(0, colon);
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (!isValidName(repository)) throw new Error(`"${text}" is not an image reference (the repository "${repository}" is not a valid name)`);
  if (tag !== undefined && !isValidTag(tag)) throw new Error(`"${text}" has an invalid tag "${tag}"`);
  if (digest !== undefined) return tag === undefined ? { registry, repository, digest } : { registry, repository, tag, digest };
  return { registry, repository, tag: tag ?? 'latest' };
}

/** What the registry is asked for: the digest when pinned, else the tag. */
export function referenceOf(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** The reference written out in full: `docker.io/library/redis:7`, `host/app@sha256:…`. */
export function formatImageReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}
