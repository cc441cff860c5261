import { createHash } from 'node:crypto';
import type http from 'node:http';
import { startFakeUpstream, type FakeUpstream } from './upstream-server';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/** A descriptor as the helper registry hands them out. */
export interface TestDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

/** How the referrers API misbehaves, for the failure tests. */
export type ApiMode = 'serve' | '404' | '500' | 'hang' | 'not-json' | 'wrong-media-type';

export interface ReferrersBehaviour {
  api: ApiMode;
  /** Referrers per page of the API answer (Link pagination). */
  pageSize: number;
  /** Absolute next links on another origin (the mirror must not follow them). */
  foreignLinks: boolean;
  /** Serve the referrers tag schema (`<alg>-<hex>`) while the API answers 404. */
  tagSchema: boolean;
  /** Serve the legacy ORAS path. */
  oras: boolean;
  /** Leave annotations out of the listed descriptors (the referrer manifests still carry them). */
  bareDescriptors: boolean;
  /** Digests whose manifest GET answers other bytes than the digest's. */
  tampered: Set<string>;
  /** Digests whose manifest GET answers 404. */
  missing: Set<string>;
}

const defaultBehaviour = (): ReferrersBehaviour => ({
  api: 'serve', pageSize: 100, foreignLinks: false, tagSchema: true, oras: false, bareDescriptors: false, tampered: new Set(), missing: new Set(),
});
const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
let counter = 0;

/**
 * An in-process registry for what CNCF Distribution cannot show: the OCI
 * referrers API (it ignores the `artifactType` filter, as the spec allows,
 * and paginates with `Link`), ACR's streaming annotations, the legacy ORAS
 * path and injected faults. Also serves the tag schema when the API is off.
 */
export class ReferrersRegistry {
  readonly behaviour: ReferrersBehaviour = defaultBehaviour();
  private readonly manifests = new Map<string, { mediaType: string; bytes: Buffer }>();
  private readonly tags = new Map<string, string>();
  private readonly referrers = new Map<string, TestDescriptor[]>();
  server!: FakeUpstream;

  async start(): Promise<this> {
    this.server = await startFakeUpstream((req, res) => this.handle(req, res));
    return this;
  }

  /** Back to a well-behaved registry (content is kept). */
  reset(): void {
    Object.assign(this.behaviour, defaultBehaviour());
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** Stores a manifest (tagged when `tag` is given) and returns its descriptor. */
  put(repo: string, body: object, tag?: string): TestDescriptor {
    const bytes = Buffer.from(JSON.stringify(body));
    const mediaType = (body as { mediaType?: string }).mediaType ?? OCI_MANIFEST;
    const digest = sha256(bytes);
    this.manifests.set(`${repo}@${digest}`, { mediaType, bytes });
    if (tag) this.tags.set(`${repo}:${tag}`, digest);
    return { mediaType, digest, size: bytes.length };
  }

  bytesOf(repo: string, digest: string): Buffer {
    const m = this.manifests.get(`${repo}@${digest}`);
    if (!m) throw new Error(`no manifest ${digest}`);
    return m.bytes;
  }

  /** A distinct image manifest (unique config digest) with optional referrer fields. */
  image(repo: string, extra: object = {}, tag?: string): TestDescriptor {
    const n = String(++counter).padStart(64, '0');
    return this.put(repo, {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${n}`, size: 2 },
      layers: [],
      ...extra,
    }, tag);
  }

  /** A referrer manifest of `subject`, listed for it with its artifact type and annotations. */
  referrer(repo: string, subject: TestDescriptor, artifactType: string, annotations: Record<string, string> = {}): TestDescriptor {
    const subjectRef = { mediaType: subject.mediaType, digest: subject.digest, size: subject.size };
    const d = this.image(repo, { artifactType, subject: subjectRef, annotations });
    this.list(repo, subject.digest, { ...d, artifactType, annotations });
    return d;
  }

  /** Lists `descriptor` among the referrers of `subjectDigest` without storing anything. */
  list(repo: string, subjectDigest: string, descriptor: TestDescriptor): void {
    const key = `${repo}@${subjectDigest}`;
    this.referrers.set(key, [...(this.referrers.get(key) ?? []), descriptor]);
  }

  /** Requests seen, as `METHOD path?query`. */
  seen(): string[] {
    return this.server.requests.map((r) => `${r.method} ${r.url}`);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const referrers = /^\/v2\/(.+)\/referrers\/([^/]+)$/.exec(url.pathname);
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    const oras = /^\/v2\/(.+)\/_oras\/artifacts\/referrers$/.exec(url.pathname);
    if (referrers?.[1] && referrers[2]) return this.serveReferrers(res, referrers[1], referrers[2], Number(url.searchParams.get('page') ?? 0));
    if (oras?.[1] && this.behaviour.oras) return this.json(res, 200, 'application/json', { references: this.listed(oras[1], url.searchParams.get('digest') ?? '') });
    if (manifest?.[1] && manifest[2]) return this.serveManifest(req, res, manifest[1], manifest[2]);
    this.json(res, 404, 'application/json', { errors: [{ code: 'NAME_UNKNOWN', message: 'unknown', detail: null }] });
  }

  private listed(repo: string, digest: string): TestDescriptor[] {
    const list = this.referrers.get(`${repo}@${digest}`) ?? [];
    return this.behaviour.bareDescriptors ? list.map(({ annotations: _a, ...rest }) => rest) : list;
  }

  private serveReferrers(res: http.ServerResponse, repo: string, digest: string, page: number): void {
    const mode = this.behaviour.api;
    if (mode === '404') return this.json(res, 404, 'text/plain', '404 page not found');
    if (mode === '500') return this.json(res, 500, 'application/json', { errors: [{ code: 'UNKNOWN', message: 'boom', detail: null }] });
    if (mode === 'hang') return; // never answers: the mirror's headers timeout must end it
    if (mode === 'not-json') return this.json(res, 200, OCI_INDEX, '<html>oops</html>');
    const all = this.listed(repo, digest);
    const size = this.behaviour.pageSize;
    const manifests = all.slice(page * size, (page + 1) * size);
    const headers: Record<string, string> = {};
    if ((page + 1) * size < all.length) {
      const path = `/v2/${repo}/referrers/${digest}?page=${page + 1}`;
      headers.Link = `<${this.behaviour.foreignLinks ? `http://127.0.0.2:1${path}` : path}>; rel="next"`;
    }
    const mediaType = mode === 'wrong-media-type' ? OCI_MANIFEST : OCI_INDEX;
    this.json(res, 200, mediaType, { schemaVersion: 2, mediaType, manifests }, headers);
  }

  private serveManifest(req: http.IncomingMessage, res: http.ServerResponse, repo: string, reference: string): void {
    if (/^sha256-[a-f0-9]{64}$/.test(reference) && this.behaviour.api === '404' && this.behaviour.tagSchema) {
      const list = this.listed(repo, reference.replace('-', ':'));
      if (list.length > 0) return this.json(res, 200, OCI_INDEX, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: list });
    }
    const digest = reference.includes(':') ? reference : this.tags.get(`${repo}:${reference}`);
    const found = digest && !this.behaviour.missing.has(digest) ? this.manifests.get(`${repo}@${digest}`) : undefined;
    if (!digest || !found) return this.json(res, 404, 'application/json', { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'unknown', detail: null }] });
    const bytes = this.behaviour.tampered.has(digest) ? Buffer.concat([found.bytes, Buffer.from(' ')]) : found.bytes;
    res.writeHead(200, { 'Content-Type': found.mediaType, 'Content-Length': bytes.length, 'Docker-Content-Digest': digest });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  }

  private json(res: http.ServerResponse, status: number, type: string, body: unknown, headers: Record<string, string> = {}): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }
}
