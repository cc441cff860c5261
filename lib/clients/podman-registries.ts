import { parse, stringify } from 'smol-toml';
import { CLIENT_FILE_MARKER, MalformedConfigError } from './config-file';
import type { DeclaredRegistry } from './declared-registry';
import { registryPathSegment, type MirrorEndpoint } from './mirror-endpoint';
import type { RegistryTable } from './podman-existing';

/** The drop-in podman, CRI-O, buildah and skopeo read after registries.conf (containers-registries.conf.d(5)). */
export const DEFAULT_PODMAN_DROP_IN = '/etc/containers/registries.conf.d/50-lifec-mirror.conf';

/**
 * Renders a registries.conf (v2) drop-in with one `[[registry]]` per
 * declared registry and the mirror as its `[[registry.mirror]]`.
 *
 * The mirror location replaces the registry in the reference, so
 * `localhost:8578/docker.io` makes podman ask `GET /v2/docker.io/library/redis/…`
 * (issue 13, request shape 2), the registry written with `_` for `:`.
 * podman has no loopback exemption: a plain-HTTP mirror needs
 * `insecure = true`. A drop-in entry replaces any earlier entry with the same
 * prefix, so a registry the mirror reaches over plain HTTP keeps
 * `insecure = true` too, or podman's fallback to it would fail; an entry in
 * `before` (what registries.conf and earlier drop-ins say for the same
 * prefix) keeps its settings and its mirrors, after this one.
 */
export function renderRegistriesConf(
  registries: readonly DeclaredRegistry[],
  endpoint: MirrorEndpoint,
  source?: string,
  before: ReadonlyMap<string, RegistryTable> = new Map(),
): string {
  const registry = registries.map((r) => {
    const mirror = { location: `${endpoint.authority}/${registryPathSegment(r.host)}`, ...(endpoint.plainHttp ? { insecure: true } : {}) };
    const own = {
      prefix: r.host,
      location: r.host,
      ...(r.origin.startsWith('http:') ? { insecure: true } : {}),
      mirror: [mirror],
    };
    const earlier = before.get(r.host);
    if (!earlier) return own;
    // Keep what the entry this one replaces says (location, blocked, its own mirrors after this one).
    const theirs = Array.isArray(earlier.mirror) ? (earlier.mirror as RegistryTable[]).filter((m) => m.location !== mirror.location) : [];
    const { mirror: _mirror, ...settings } = earlier;
    return { ...own, ...settings, prefix: r.host, mirror: [mirror, ...theirs] };
  });
  const header = [
    `${CLIENT_FILE_MARKER}${source ? ` from ${source}` : ''}: "lifec-mirror configure podman" replaces it.`,
    '# podman, CRI-O and buildah try the mirror first, then the registry itself.',
  ];
  return `${header.join('\n')}\n${stringify({ registry }).trimEnd()}\n`;
}

/**
 * Checks what is at the drop-in's path before it is replaced: returns
 * whether lifec-mirror wrote it (no backup needed).
 *
 * @throws MalformedConfigError when it is not TOML
 */
export function checkDropIn(file: string, previous: string): boolean {
  try {
    parse(previous);
  } catch (err) {
    throw new MalformedConfigError(file, `is not valid TOML (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
  return previous.startsWith(CLIENT_FILE_MARKER);
}
