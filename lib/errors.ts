import type { ErrorRequestHandler } from 'express';

/**
 * Error codes of the OCI distribution spec ("Error Codes" table), plus
 * `UNAVAILABLE`, which Distribution uses for 503 and the mirror uses when an
 * upstream cannot be reached.
 */
export type OciErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'TAG_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'UNAVAILABLE'
  | 'UNKNOWN';

/**
 * The one error family of the mirror: an HTTP status, an OCI code and a
 * message safe to show a client. `cause` keeps the underlying error for logs.
 */
export class MirrorError extends Error {
  override name = 'MirrorError';
  readonly status: number;
  readonly code: OciErrorCode;
  readonly detail: unknown;
  /** Extra response headers, e.g. `Retry-After` or `Allow`. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: OciErrorCode,
    message: string,
    options: { cause?: unknown; detail?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.status = status;
    this.code = code;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
  }
}

/** The mirror could not get an answer from an upstream (refused, reset, timed out, …). */
export class UpstreamError extends MirrorError {
  override name = 'UpstreamError';
}

/** The OCI error body: `{"errors":[{"code","message","detail"}]}`. */
export function ociErrorBody(code: OciErrorCode, message: string, detail?: unknown): string {
  return JSON.stringify({ errors: [{ code, message, detail: detail ?? null }] });
}

/** Turns anything thrown into a `MirrorError`, keeping the original as `cause`. */
export function toMirrorError(err: unknown): MirrorError {
  if (err instanceof MirrorError) return err;
  if (isBodyParseError(err)) return new MirrorError(400, 'UNSUPPORTED', 'malformed request', { cause: err });
  return new MirrorError(500, 'UNKNOWN', 'internal error in the mirror', { cause: err });
}

/**
 * True when the client's connection closed before the answer was complete
 * (nginx logs these as 499): the stream machinery then reports a premature
 * close, or the upstream request the mirror aborted for it. An upstream that
 * breaks mid-body fails with its own error and stays a 5xx.
 */
function clientWentAway(err: unknown, req: Parameters<ErrorRequestHandler>[1], res: Parameters<ErrorRequestHandler>[2]): boolean {
  const { code, name } = (err ?? {}) as { code?: unknown; name?: unknown };
  const abortLike = code === 'ERR_STREAM_PREMATURE_CLOSE' || name === 'AbortError';
  return abortLike && !res.writableFinished && (req.socket.destroyed || res.destroyed);
}

function isBodyParseError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { type?: unknown }).type === 'entity.parse.failed';
}

/**
 * The single place where the mirror's own errors become responses. When the
 * response has already started (a blob stream broke half-way) a second
 * response cannot be written: destroying the socket is the only honest way to
 * tell the client the body is incomplete.
 */
export function errorHandler(onError: (err: MirrorError, req: Parameters<ErrorRequestHandler>[1]) => void): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    // A client that went away mid-answer is not a mirror failure: there is no one to answer.
    const mirrorError = clientWentAway(err, req, res) ? new MirrorError(499, 'UNKNOWN', 'client closed the request', { cause: err }) : toMirrorError(err);
    onError(mirrorError, req);
    if (res.headersSent || mirrorError.status === 499) {
      res.destroy(mirrorError);
      return;
    }
    res.status(mirrorError.status);
    for (const [name, value] of Object.entries(mirrorError.headers)) res.setHeader(name, value);
    res.setHeader('Content-Type', 'application/json');
    const body = ociErrorBody(mirrorError.code, mirrorError.message, mirrorError.detail);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
