/**
 * True when an `Accept` header admits `mediaType` (RFC 9110 §12.5.1: exact
 * type, `type/*` or `*\/*`; `q=0` refuses). No header accepts anything. The
 * mirror must not answer a tag with a media type the client did not ask for
 * (distribution-spec: manifests are negotiated by `Accept`).
 */
export function accepts(accept: string | undefined, mediaType: string): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  const [type] = mediaType.toLowerCase().split('/');
  return accept.split(',').some((part) => {
    const [range = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    if (params.some((p) => /^q\s*=\s*0(?:\.0*)?$/.test(p))) return false;
    return range === mediaType.toLowerCase() || range === '*/*' || range === `${type}/*`;
  });
}
