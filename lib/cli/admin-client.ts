import { CliError } from './io';

/** Exit status when the mirror cannot be reached or refuses the admin request. */
export const MIRROR_UNREACHABLE = 3;

/**
 * A JSON request to a running mirror's admin API (`/_lifec/…`). A mirror that
 * cannot be reached, or an error answer, is one readable `CliError` line.
 */
export async function adminRequest<T>(base: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new CliError(`cannot reach the mirror at ${base}: ${why} (is it running? start it with "lifec-mirror start", or name it with --mirror)`, MIRROR_UNREACHABLE, { cause: err });
  }
  const text = await res.text();
  if (!res.ok) throw new CliError(`the mirror at ${base} answered ${res.status} to ${method} ${path}${errorMessage(text)}`, MIRROR_UNREACHABLE);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CliError(`the mirror at ${base} did not answer ${path} with JSON (is it a lifec-mirror?)`, MIRROR_UNREACHABLE);
  }
}

/** `: <message>` from an OCI error body, or nothing. */
function errorMessage(text: string): string {
  try {
    const first = (JSON.parse(text) as { errors?: Array<{ message?: string }> }).errors?.[0];
    return first?.message ? `: ${first.message}` : '';
  } catch {
    return '';
  }
}
