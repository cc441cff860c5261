import express from 'express';
import request from 'supertest';
import { createMirror, type MirrorRouter } from '../../lib/mirror';
import { captureLogger } from './log-capture';
import { OCI_INDEX, OCI_MANIFEST, type ReferrersRegistry, type TestDescriptor } from './referrers-upstream';

/** Mirrors in front of a {@link ReferrersRegistry}, with helpers to ask them for manifests. */
export class TeleportMirrors {
  private readonly mirrors: MirrorRouter[] = [];
  private repoCounter = 0;

  constructor(private readonly registry: ReferrersRegistry) {}

  /** A repository name no earlier test used (caches are per repository). */
  freshRepo(): string {
    return `team/app${++this.repoCounter}`;
  }

  /** A mirror whose manifests route is `.resolve` followed by `plugins`. */
  app(plugins: string[]): { app: express.Express; log: () => string } {
    const runmd = [
      '``` start mirror', '+ .runtime', `: .mirror ${this.registry.server.url}`, ': .headers_timeout 1s', '',
      '+ .proxy localhost:0', ': .manifests head, get', ':   .resolve', ...plugins.map((p) => `:   ${p}`), '```', '',
    ].join('\n');
    const logger = captureLogger('info');
    const mirror = createMirror({ runmd, logger: logger.logger });
    this.mirrors.push(mirror);
    return { app: express().use(mirror), log: logger.text };
  }

  get(app: express.Express, repo: string, ref: string, headers: Record<string, string> = {}) {
    return request(app).get(this.path(repo, ref)).set({ Accept: `${OCI_MANIFEST}, ${OCI_INDEX}`, ...headers }).buffer(true).parse(binary);
  }

  head(app: express.Express, repo: string, ref: string, headers: Record<string, string> = {}) {
    return request(app).head(this.path(repo, ref)).set({ Accept: `${OCI_MANIFEST}, ${OCI_INDEX}`, ...headers });
  }

  /** Asserts the answer is exactly the registry's manifest `d`. */
  expectServed(res: request.Response, repo: string, d: TestDescriptor): void {
    expect(res.status).toBe(200);
    expect(res.headers['docker-content-digest']).toBe(d.digest);
    expect(res.headers['content-type']).toBe(d.mediaType);
    expect((res.body as Buffer).equals(this.registry.bytesOf(repo, d.digest))).toBe(true);
  }

  /** The Prometheus text of the mirror created last. */
  metricsText(): Promise<string> {
    const last = this.mirrors[this.mirrors.length - 1];
    if (!last) throw new Error('no mirror yet');
    return last.services.metrics.registry.metrics();
  }

  close(): Promise<void> {
    return Promise.all(this.mirrors.map((m) => m.close())).then(() => undefined);
  }

  private path(repo: string, ref: string): string {
    return `/v2/${repo}/manifests/${ref}?ns=${encodeURIComponent(this.registry.server.host)}`;
  }
}

function binary(res: request.Response, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}
