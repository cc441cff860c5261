import type { Request, Response } from 'express';
import { MirrorError } from '../errors';
import { readUpstreamBody } from '../http/read-body';
import { copyUpstreamHeaders, relay } from '../http/relay';
import type { UpstreamResponse } from '../upstream/exchange';
import { clientPath } from '../upstream/select';
import type { MirrorContext } from './context';

/** A tag list is read whole to sort it; this bounds what a hostile upstream can make the mirror hold. */
const MAX_TAG_LIST_BYTES = 8 * 1024 * 1024;

interface Page {
  n?: number;
  last?: string;
}

/**
 * Answers `GET /v2/<name>/tags/list[?n=&last=]` from the upstream's answer
 * (distribution-spec, "Listing Tags"): the tags in lexical order
 * (case-insensitive, as the spec defines it), and `n`/`last` applied by the
 * mirror when the upstream ignored them (Distribution 2.8 does), with a
 * `Link: <…>; rel="next"` header when more remain. `n=0` is an empty list
 * without `Link`. Parameters go upstream as sent, so an upstream that
 * paginates itself keeps its own `Link`. Non-200 answers pass unchanged.
 */
export async function answerTagList(req: Request, res: Response, ctx: MirrorContext, fetch: () => Promise<UpstreamResponse>): Promise<void> {
  const page = pageOf(req);
  const upstream = await fetch();
  const toClient = (path: string): string => clientPath(ctx.selection, path);
  if (upstream.status !== 200) return relay(upstream, res, { head: false, clientPath: toClient });
  const list = parseTagList(await readUpstreamBody(upstream.body, MAX_TAG_LIST_BYTES, ctx.upstream.host, ctx.signal), ctx);
  let tags = [...list.tags].sort(compareTags);
  if (page.last !== undefined) tags = tags.filter((tag) => compareTags(tag, page.last ?? '') > 0);
  copyUpstreamHeaders(upstream, res, toClient);
  // The body is rewritten: what described the upstream's bytes no longer holds.
  for (const name of ['Content-Length', 'Content-Range', 'Accept-Ranges', 'ETag', 'Last-Modified']) res.removeHeader(name);
  if (page.n !== undefined && (tags.length > page.n || page.n === 0)) {
    tags = tags.slice(0, page.n);
    res.removeHeader('Link');
    const lastShown = tags[tags.length - 1];
    if (lastShown !== undefined) res.setHeader('Link', `<${toClient(nextPage(ctx, page.n, lastShown))}>; rel="next"`);
  }
  const body = Buffer.from(JSON.stringify({ name: list.name, tags }));
  res.status(200).setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

/** Lexical order as the spec defines it, "case-insensitive alphanumeric"; ties by code unit so the order is total. */
export function compareTags(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function pageOf(req: Request): Page {
  const { n, last } = req.query;
  if (n !== undefined && (typeof n !== 'string' || !/^\d{1,9}$/.test(n))) {
    throw new MirrorError(400, 'UNSUPPORTED', 'n must be a non-negative integer', { detail: { n: typeof n === 'string' ? n.slice(0, 40) : null } });
  }
  if (last !== undefined && typeof last !== 'string') throw new MirrorError(400, 'UNSUPPORTED', 'the last parameter must appear once');
  return { n: n === undefined ? undefined : Number(n), last };
}

function parseTagList(bytes: Buffer, ctx: MirrorContext): { name: string; tags: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    json = undefined;
  }
  const o = (typeof json === 'object' && json !== null ? json : {}) as { name?: unknown; tags?: unknown };
  const tags = o.tags === null ? [] : o.tags;
  if (!Array.isArray(tags) || !tags.every((t): t is string => typeof t === 'string')) {
    throw new MirrorError(502, 'UNAVAILABLE', `upstream ${ctx.upstream.host} answered a tag list that is not {"name","tags":[…]}`);
  }
  return { name: typeof o.name === 'string' ? o.name : ctx.repository, tags };
}

/** The next page, as an upstream path; `clientPath` turns it into the shape the client used (its `ns`, or the registry in the path). */
function nextPage(ctx: MirrorContext, n: number, last: string): string {
  return `/v2/${ctx.repository}/tags/list?${new URLSearchParams({ n: String(n), last })}`;
}
