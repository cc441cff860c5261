/** A small seeded PRNG (mulberry32): the same seed gives the same requests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the generator knows of the world: real content, and addresses no request may reach. */
export interface FuzzWorld {
  /** The declared registry, `host:port`. */
  registry: string;
  repos: string[];
  tags: string[];
  digests: string[];
  /** `host:port` of listeners that must never see a connection. */
  traps: string[];
}

/** One generated request: a description for failure reports and the bytes to send. */
export interface FuzzRequest {
  method: string;
  target: string;
  head: Buffer;
}

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
const chance = (rng: Rng, p: number): boolean => rng() < p;
const int = (rng: Rng, max: number): number => Math.floor(rng() * max);

const METHODS = ['GET', 'GET', 'GET', 'HEAD', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'FOO', 'get'];
const ESCAPES = ['%zz', '%', '%87%2D%19', '%2F', '%2e%2e', '%00', '%c0%af', '%e2%82', '%41', '%ff%fe', '%0d%0a'];
const SEGMENTS = ['..', '.', '', 'manifests', 'blobs', 'tags', 'list', 'referrers', 'uploads', '_catalog', 'v2', 'library', 'a', 'A', '-a', 'a--b', 'a__b'];
const METADATA = ['169.254.169.254', '169.254.169.254:80', '[fd00:ec2::254]', 'metadata.google.internal', '100.100.100.200', '[::1]:1', '0.0.0.0:80', 'localhost', 'evil.example.com'];
const ACCEPTS = ['application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json', '*/*', 'text/html', 'application/vnd.docker.distribution.manifest.v2+json;q=0.5, */*;q=0.1', ''];
const RANGES = ['bytes=0-0', 'bytes=0-10', 'bytes=-5', 'bytes=10-', 'bytes=abc', 'bytes=999999999-', 'bytes=5-1', 'bytes=0-1,3-4', 'items=0-1', 'bytes=-0', 'bytes=18446744073709551616-'];

function randomBytes(rng: Rng, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += String.fromCharCode(int(rng, 256));
  return out;
}

function randomName(rng: Rng, world: FuzzWorld): string {
  const roll = rng();
  if (roll < 0.35) return pick(rng, world.repos);
  if (roll < 0.5) return Array.from({ length: 1 + int(rng, 4) }, () => pick(rng, SEGMENTS)).join('/');
  if (roll < 0.65) return `${pick(rng, world.repos)}/${pick(rng, ESCAPES)}`;
  if (roll < 0.75) return 'a'.repeat(200 + int(rng, 5000));
  if (roll < 0.85) return `${pick(rng, ESCAPES)}${pick(rng, SEGMENTS)}`;
  return randomBytes(rng, 1 + int(rng, 12));
}

function randomReference(rng: Rng, world: FuzzWorld): string {
  const roll = rng();
  if (roll < 0.25) return pick(rng, world.tags);
  if (roll < 0.5) return pick(rng, world.digests);
  if (roll < 0.6) return `sha256:${'z'.repeat(int(rng, 70))}`;
  if (roll < 0.7) return `sha512:${'a'.repeat(128)}`;
  if (roll < 0.8) return pick(rng, ['.INVALID_MANIFEST_NAME', '-bad', 'x'.repeat(129), 'list', '..']);
  if (roll < 0.9) return `${pick(rng, world.tags)}${pick(rng, ESCAPES)}`;
  return randomBytes(rng, 1 + int(rng, 8));
}

function randomPath(rng: Rng, world: FuzzWorld): string {
  const roll = rng();
  if (roll < 0.06) return pick(rng, ['/', '/v2', '/v2/', '/metrics', '/healthz', '/readyz', '/auth', '/v2/_catalog']);
  if (roll < 0.1) return `/${randomBytes(rng, 1 + int(rng, 20))}`;
  const kind = pick(rng, ['manifests', 'manifests', 'blobs', 'blobs', 'tags', 'referrers', 'blobs/uploads', 'other']);
  const name = randomName(rng, world);
  if (kind === 'tags') return `/v2/${name}/tags/list`;
  if (kind === 'other') return `/v2/${name}/${pick(rng, SEGMENTS)}/${randomReference(rng, world)}`;
  return `/v2/${name}/${kind}/${randomReference(rng, world)}`;
}

function randomNs(rng: Rng, world: FuzzWorld): string | undefined {
  const roll = rng();
  if (roll < 0.3) return undefined;
  if (roll < 0.55) return encodeURIComponent(world.registry);
  if (roll < 0.7) return encodeURIComponent(pick(rng, world.traps));
  if (roll < 0.8) return encodeURIComponent(pick(rng, METADATA));
  if (roll < 0.87) return `${encodeURIComponent(world.registry)}%0d%0aHost:%20${pick(rng, world.traps)}`;
  if (roll < 0.93) return `${encodeURIComponent(world.registry)}&ns=${encodeURIComponent(pick(rng, world.traps))}`;
  return encodeURIComponent(randomBytes(rng, 1 + int(rng, 30)));
}

function randomQuery(rng: Rng, world: FuzzWorld): string {
  const params: string[] = [];
  const ns = randomNs(rng, world);
  if (ns !== undefined) params.push(`ns=${ns}`);
  if (chance(rng, 0.1)) params.push(`n=${pick(rng, ['0', '1', '2', '-1', 'x', '99999999999', ''])}`);
  if (chance(rng, 0.1)) params.push(`last=${encodeURIComponent(pick(rng, [...world.tags, 'zzz', randomBytes(rng, 4)]))}`);
  if (chance(rng, 0.1)) params.push(`artifactType=${encodeURIComponent(pick(rng, ['dadi.image.v1', 'application/vnd.none', '']))}`);
  return params.length > 0 ? `?${params.join('&')}` : '';
}

/**
 * `count` requests of every shape a hostile or broken client could send:
 * random methods, paths (random bytes, escapes, dot segments, very long
 * names), `ns` values (undeclared hosts, metadata addresses, CRLF), Range,
 * Accept and Host headers. Deterministic for a seed.
 */
export function generateRequests(seed: number, count: number, world: FuzzWorld): FuzzRequest[] {
  const rng = seededRandom(seed);
  const requests: FuzzRequest[] = [];
  for (let i = 0; i < count; i++) {
    const method = pick(rng, METHODS);
    const target = `${randomPath(rng, world)}${randomQuery(rng, world)}`;
    const headers = [`Host: ${chance(rng, 0.1) ? pick(rng, [...world.traps, ...METADATA]) : 'localhost'}`, 'Connection: close'];
    if (chance(rng, 0.3)) headers.push(`Accept: ${pick(rng, ACCEPTS)}`);
    if (chance(rng, 0.25)) headers.push(`Range: ${pick(rng, RANGES)}`);
    if (chance(rng, 0.05)) headers.push(`X-Request-Id: ${randomBytes(rng, 10)}`);
    if (chance(rng, 0.05)) headers.push(`X-Forwarded-Host: ${pick(rng, world.traps)}`);
    if (method === 'PUT' || method === 'POST' || method === 'PATCH') headers.push('Content-Length: 0');
    requests.push({ method, target, head: Buffer.from(`${method} ${target} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`, 'latin1') });
  }
  return requests;
}
