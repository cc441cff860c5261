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
  const clientStatus = clientErrorStatus(err);
  if (clientStatus !== undefined) return new MirrorError(clientStatus, 'UNSUPPORTED', 'malformed request', { cause: err });
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

/**
 * The 4xx status Express and its parsers attach to the errors they raise for
 * a malformed request (a body that does not parse, a route parameter that
 * does not decode): the client's mistake, never a 500.
 */
function clientErrorStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, type, expose } = err as { status?: unknown; type?: unknown; expose?: unknown };
  // body-parser's errors (http-errors) say `expose`; the router's decode failure is a URIError.
  const fromExpress = type === 'entity.parse.failed' || expose === true || err instanceof URIError;
  return fromExpress && typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/** What the client got when an error ended its request: the status sent, and whether a started answer was cut. */
export interface ErrorOutcome {
  /** The status line the client received (499 when it left before any). */
  status: number;
  /** True when headers had gone out and the mirror destroyed the response before its end. */
  cut: boolean;
}

const cutResponses = new WeakSet<object>();

/** True when the error handler cut this response after its headers were sent (for the access log). */
export function wasCut(res: object): boolean {
  return cutResponses.has(res);
}

/**
 * The single place where the mirror's own errors become responses. When the
 * response has already started (a blob stream broke half-way) a second
 * response cannot be written: destroying the socket is the only honest way to
 * tell the client the body is incomplete. `onError` learns what the client
 * actually got, which after a cut is the status already sent, not the error's.
 */
export function errorHandler(onError: (err: MirrorError, req: Parameters<ErrorRequestHandler>[1], outcome: ErrorOutcome) => void): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    // A client that went away mid-answer is not a mirror failure: there is no one to answer.
    const mirrorError = clientWentAway(err, req, res) ? new MirrorError(499, 'UNKNOWN', 'client closed the request', { cause: err }) : toMirrorError(err);
    if (mirrorError.status === 499) {
      onError(mirrorError, req, { status: res.headersSent ? res.statusCode : 499, cut: false });
      res.destroy(mirrorError);
      return;
    }
    if (res.headersSent) {
      cutResponses.add(res);
      onError(mirrorError, req, { status: res.statusCode, cut: true });
      res.destroy(mirrorError);
      return;
    }
    onError(mirrorError, req, { status: mirrorError.status, cut: false });
    res.status(mirrorError.status);
    for (const [name, value] of Object.entries(mirrorError.headers)) res.setHeader(name, value);
    res.setHeader('Content-Type', 'application/json');
    const body = ociErrorBody(mirrorError.code, mirrorError.message, mirrorError.detail);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
