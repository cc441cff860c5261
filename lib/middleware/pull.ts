import type { Request, Response } from 'express';
import type { CachedFile } from '../cache/blob-source';
import type { ContentCache } from '../cache/content-cache';
import { cacheKey } from '../cache/cache-key';
import { confirmRepository } from './confirm-repository';
import { mirrorContext, type MirrorContext } from './context';
import { forwardHeaders, upstreamPath } from './forward';
import { answerReferrers } from './referrers-answer';
import { answerTagList } from './tag-list';
import { relay } from '../http/relay';
import { clientPath } from '../upstream/select';
import { serveCachedFile, serveDownload, startBlobAnswer } from '../cache/serve-blob';
import type { ByteSource, MirrorMetrics } from '../metrics/metrics';
import type { DownloadLimiter } from '../resilience/limiter';
import type { MemoryBudget } from '../resilience/memory-budget';
import type { UpstreamResponse } from '../upstream/exchange';
import type { PluginDefinition } from './plugin';

/** Client headers that shape a blob or listing answer. */
const PULL_HEADERS = ['accept', 'range', 'if-range', 'if-none-match'];

/**
 * `.pull`: answers blobs from the cache when it has them; a miss starts one
 * upstream download that every request for the blob reads along from while
 * it is written and verified (see docs/cache.md). Digests the cache does not
 * key (not sha256) stream through from the upstream unchanged, `Range`
 * included. Upstream blob downloads wait for a slot of the download limiter.
 * Tag lists are answered sorted and paginated (tag-list.ts); referrers pass
 * through, or come from the tag schema when the upstream lacks the API
 * (referrers-answer.ts).
 */
export const pullPlugin: PluginDefinition = {
  name: 'pull',
  summary: 'serve the blob from the cache or stream it from the upstream; tag lists sorted and paginated; referrers from the API or the tag schema',
  routes: ['blobs', 'tags', 'referrers'],
  terminal: true,
  create(_call, deps) {
    const { metrics, cache } = deps.services;
    const { downloads: limiter, memory } = deps.services.resilience;
    return async (req, res) => {
      const ctx = mirrorContext(res);
      const key = ctx.route === 'blobs' && ctx.reference ? cacheKey(ctx.reference) : undefined;
      const content = cache.content;
      if (ctx.route === 'tags') return answerTagList(req, res, ctx, () => send(req, ctx, 'GET', PULL_HEADERS, true));
      if (ctx.route === 'referrers') return answerReferrers(req, res, ctx, () => send(req, ctx, 'GET', PULL_HEADERS, true));
      if (!content || !key) return passThrough(req, res, ctx, ctx.route === 'blobs' ? { limiter, memory } : undefined, metrics);
      if (req.method === 'HEAD') return ctx.headFromUpstream ? passThrough(req, res, ctx) : headBlob(req, res, ctx, content, key);
      await getBlob(req, res, ctx, { content, key, limiter, metrics });
    };
  },
};

interface BlobDeps {
  content: ContentCache;
  key: string;
  limiter: DownloadLimiter;
  metrics: MirrorMetrics;
}

async function getBlob(req: Request, res: Response, ctx: MirrorContext, deps: BlobDeps): Promise<void> {
  const { content, key, limiter, metrics } = deps;
  const digest = ctx.reference ?? '';
  const count = (source: ByteSource) => (bytes: number) => metrics.servedBytes.inc({ source }, bytes);
  // The download outlives the request that started it (no client signal):
  // other requests read along, and a client that was cut off resumes with Range.
  const source = await content.fetchBlob(key, () => limited(limiter, () => send(req, ctx, 'GET', [], false)));
  ctx.servedFrom = source.kind === 'hit' ? 'cache' : source.kind;
  // Content another repository brought in is answered here only once the upstream confirms this one holds it.
  // A download this request started was answered for this repository: recorded on the side, not awaited, so
  // nothing runs between handing out the download and reading it (it could finish and close its file meanwhile).
  // A record that fails to be written costs one confirming HEAD later.
  if (source.kind === 'download' && source.started) void content.scopes?.add(ctx.upstream.host, ctx.repository, key).catch(() => undefined);
  else if (source.kind !== 'upstream') await confirmRepository(req, ctx, content, key, 'blobs');
  if (source.kind === 'hit') {
    if (await serveCachedFile(req, res, digest, source.file, count('cache'), content.memory)) return;
    content.forget(key);
    return getBlob(req, res, ctx, deps);
  }
  if (source.kind === 'download') {
    if (await serveDownload(req, res, digest, source.download, count('download'), content.memory)) return;
    return getBlob(req, res, ctx, deps);
  }
  // Not cacheable. The full answer came back for a client that asked a range: ask again with it.
  if (source.response.status === 200 && req.get('range')) {
    // Destroyed, not drained: draining a multi-GiB blob nobody reads would hold the download slot.
    source.response.body.destroy();
    return passThrough(req, res, ctx, { limiter, memory: content.memory }, metrics);
  }
  await relayCounted(source.response, res, req.method === 'HEAD', ctx, metrics);
}

/** A HEAD answers from the cache when it can, else from the upstream's HEAD. */
async function headBlob(req: Request, res: Response, ctx: MirrorContext, content: ContentCache, key: string): Promise<void> {
  const file: CachedFile | undefined = await content.find(key);
  if (!file) return passThrough(req, res, ctx, undefined);
  await confirmRepository(req, ctx, content, key, 'blobs');
  ctx.servedFrom = 'cache';
  startBlobAnswer(req, res, ctx.reference ?? '', file.size);
  res.end();
}

/** What an uncached blob relay waits for: a download slot, and its buffers' share of `.buffer_memory`. */
interface RelayLimits {
  limiter: DownloadLimiter;
  memory: MemoryBudget;
}

/** A relay holds the upstream socket's read (1 MiB) and a chunk in the client's socket. */
const RELAY_WORKING_SET = 2 * 1024 * 1024;

async function passThrough(req: Request, res: Response, ctx: MirrorContext, limits?: RelayLimits, metrics?: MirrorMetrics): Promise<void> {
  const head = req.method === 'HEAD';
  ctx.servedFrom = 'upstream';
  const fetch = () => send(req, ctx, head ? 'HEAD' : 'GET', PULL_HEADERS, true);
  if (!limits || head) return relayCounted(await fetch(), res, head, ctx, metrics);
  await limits.memory.take(RELAY_WORKING_SET);
  let upstream: UpstreamResponse;
  try {
    upstream = await limited(limits.limiter, fetch, ctx.signal);
  } catch (error) {
    limits.memory.give(RELAY_WORKING_SET);
    throw error;
  }
  upstream.body.once('close', () => limits.memory.give(RELAY_WORKING_SET));
  await relayCounted(upstream, res, head, ctx, metrics);
}

async function relayCounted(upstream: UpstreamResponse, res: Response, head: boolean, ctx: MirrorContext, metrics?: MirrorMetrics): Promise<void> {
  if (!metrics || head || ctx.route !== 'blobs') return relay(upstream, res, { head, clientPath: (path) => clientPath(ctx.selection, path) });
  let bytes = 0;
  upstream.body.on('data', (chunk: Buffer) => (bytes += chunk.length));
  try {
    await relay(upstream, res, { head, clientPath: (path) => clientPath(ctx.selection, path) });
  } finally {
    metrics.servedBytes.inc({ source: 'upstream' }, bytes);
  }
}

function send(req: Request, ctx: MirrorContext, method: 'GET' | 'HEAD', names: readonly string[], withSignal: boolean): Promise<UpstreamResponse> {
  const suffix = ctx.route === 'tags' ? 'list' : (ctx.reference ?? '');
  const path = upstreamPath(`/v2/${ctx.repository}/${ctx.route}/${suffix}`, req);
  const headers = forwardHeaders(req, ctx, names);
  return ctx.client.send({ method, path, headers, signal: withSignal ? ctx.signal : undefined }, ctx.authorizer);
}

/** Holds a download slot from before the request until its body is done. */
async function limited(limiter: DownloadLimiter, fetch: () => Promise<UpstreamResponse>, signal?: AbortSignal): Promise<UpstreamResponse> {
  const release = await limiter.acquire(signal);
  try {
    const response = await fetch();
    response.body.once('close', release);
    return response;
  } catch (err) {
    release();
    throw err;
  }
}
