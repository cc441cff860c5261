import type { RequestHandler } from 'express';
import { mirrorContext } from './context';
import { MirrorError } from '../errors';
import { Header } from '../oci/mediatypes';

/**
 * The last step of a manifests route: answers with the manifest the plugins
 * left on the context. HEAD carries the same headers as GET would.
 */
export const answerManifest: RequestHandler = (req, res) => {
  const manifest = mirrorContext(res).manifest;
  if (!manifest) throw new MirrorError(500, 'UNKNOWN', 'no plugin on this route produced a manifest');
  res.status(manifest.status);
  if (manifest.mediaType) res.setHeader('Content-Type', manifest.mediaType);
  if (manifest.digest) res.setHeader(Header.contentDigest, manifest.digest);
  const size = manifest.body?.length ?? manifest.size;
  if (size >= 0) res.setHeader('Content-Length', size);
  for (const [name, value] of Object.entries(manifest.headers)) res.setHeader(name, value);
  res.end(req.method === 'HEAD' ? undefined : manifest.body);
};
