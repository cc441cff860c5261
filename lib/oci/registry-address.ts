/**
 * Docker Hub is named `docker.io` by clients but served from another host;
 * containerd does the same translation in its default hosts function.
 */
const WELL_KNOWN_ORIGINS: Readonly<Record<string, string>> = {
  'docker.io': 'https://registry-1.docker.io',
};

/**
 * Parses a `.mirror` input: a bare host (https) or a URL with a scheme for
 * registries served over plain HTTP.
 *
 * @throws Error with a readable reason when the input is not a registry address.
 */
export function parseRegistryAddress(input: string): { host: string; origin: string } {
  const text = input.trim();
  if (text === '') throw new Error('a registry host is required (e.g. example.azurecr.io or http://127.0.0.1:5000)');
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  let url: URL;
  try {
    url = new URL(hasScheme ? text : `https://${text}`);
  } catch {
    throw new Error(`"${text}" is not a registry host or URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`unsupported scheme "${url.protocol}" in "${text}" (use http:// or https://)`);
  }
  if (url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new Error(`"${text}" must be a bare registry address, without credentials, path or query`);
  }
  const host = url.host.toLowerCase();
  return { host, origin: WELL_KNOWN_ORIGINS[host] ?? url.origin };
}
