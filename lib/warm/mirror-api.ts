import http from 'node:http';
import https from 'node:https';
import { readLimited } from '../http/read-body';
import { sha256Digest } from '../oci/digest';
import type { ImageReference } from '../oci/image-reference';
import { DEFAULT_MANIFEST_ACCEPT, Header, MAX_MANIFEST_BYTES } from '../oci/mediatypes';

/** A warm request the mirror answered with an error, or could not answer. */
export class WarmError extends Error {
  override name = 'WarmError';
}

/** A manifest as the mirror served it. */
export interface FetchedManifest {
  body: Buffer;
  mediaType: string;
}

const USER_AGENT = 'lifec-mirror-warm';

/**
 * The mirror's own OCI API, as a client sees it: warming goes through the
 * routes and plugins every pull goes through (auth, verification, the cache's
 * single-flight downloads), with `?ns=<registry>` as containerd sends it.
 * One keep-alive agent per job; `close` frees its sockets.
 */
export class MirrorApi {
  private readonly agent: http.Agent;
  private readonly client: typeof http | typeof https;

  constructor(
    private readonly origin: string,
    private readonly signal: AbortSignal,
  ) {
    const secure = new URL(origin).protocol === 'https:';
    this.client = secure ? https : http;
    // With `.tls` the mirror reads through its own listening socket, whose
    // certificate names the mirror's public name, not the loopback address
    // it dials: there is no other party to authenticate on that connection.
    this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 8, rejectUnauthorized: false }) : new http.Agent({ keepAlive: true, maxSockets: 8 });
  }

  /** The digest a tag points at (a HEAD, which Docker Hub does not count against pull limits). */
  async resolve(ref: ImageReference, tag: string): Promise<string> {
    const res = await this.request('HEAD', ref, `manifests/${tag}`, { accept: DEFAULT_MANIFEST_ACCEPT });
    res.resume();
    const digest = res.headers[Header.contentDigest];
    if (res.statusCode === 200 && typeof digest === 'string' && digest !== '') return digest;
    if (res.statusCode === 200) return sha256Digest((await this.manifest(ref, tag)).body);
    // A HEAD carries no error body: ask again with GET for the registry's own message.
    const again = await this.request('GET', ref, `manifests/${tag}`, { accept: DEFAULT_MANIFEST_ACCEPT });
    throw await failure(again, `${tag}`);
  }

  /** A manifest by digest (or tag), read whole (manifests are at most 4 MiB). */
  async manifest(ref: ImageReference, reference: string): Promise<FetchedManifest> {
    const res = await this.request('GET', ref, `manifests/${reference}`, { accept: DEFAULT_MANIFEST_ACCEPT });
    if (res.statusCode !== 200) throw await failure(res, reference);
    const body = await readLimited(res, MAX_MANIFEST_BYTES);
    return { body, mediaType: String(res.headers['content-type'] ?? '') };
  }

  /** Reads a blob through the mirror and drops the bytes; `onBytes` hears of each chunk. Returns the byte count. */
  async blob(ref: ImageReference, digest: string, onBytes: (bytes: number) => void): Promise<number> {
    const res = await this.request('GET', ref, `blobs/${digest}`, {});
    if (res.statusCode !== 200) throw await failure(res, digest);
    let total = 0;
    return new Promise<number>((resolve, reject) => {
      res.on('data', (chunk: Buffer) => {
        total += chunk.length;
        onBytes(chunk.length);
      });
      res.once('end', () => (res.complete ? resolve(total) : reject(new WarmError(`the mirror cut ${digest} off after ${total} bytes`))));
      res.once('error', (err) => reject(new WarmError(`reading ${digest} from the mirror failed: ${err.message}`, { cause: err })));
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private request(method: 'GET' | 'HEAD', ref: ImageReference, suffix: string, headers: Record<string, string>): Promise<http.IncomingMessage> {
    const url = new URL(`/v2/${ref.repository}/${suffix}`, this.origin);
    url.searchParams.set('ns', ref.registry);
    return new Promise((resolve, reject) => {
      const req = this.client.request(url, { method, agent: this.agent, signal: this.signal, headers: { 'user-agent': USER_AGENT, ...headers } }, resolve);
      req.once('error', (err) => reject(this.signal.aborted ? new WarmError('canceled', { cause: err }) : new WarmError(`the mirror at ${this.origin} cannot be reached: ${err.message}`, { cause: err })));
      req.end();
    });
  }
}

/** One line from an error answer: status, OCI code and message (`404 MANIFEST_UNKNOWN: manifest unknown`). */
async function failure(res: http.IncomingMessage, what: string): Promise<WarmError> {
  const body = await readLimited(res, 64 * 1024).catch(() => Buffer.alloc(0));
  let detail = '';
  try {
    const first = (JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: string; message?: string }> }).errors?.[0];
    if (first) detail = `: ${[first.code, first.message].filter(Boolean).join(' ')}`;
  } catch {
    // Not OCI error JSON: the status says enough.
  }
  const status = res.statusCode ?? 0;
  const hint = status === 404 ? ' (not found)' : status === 401 || status === 403 ? ' (not allowed)' : '';
  return new WarmError(`${what}: the mirror answered ${status}${hint}${detail}`);
}

