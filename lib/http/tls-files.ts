import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { Logger } from 'pino';
import type { Line } from '../runmd/ast';
import { RunmdError } from '../runmd/errors';

/** The certificate chain and private key the mirror serves HTTPS with (`: .tls <cert> <key>`). */
export interface TlsFiles {
  cert: string;
  key: string;
}

/**
 * Reads `: .tls <cert file> <key file>` from the `.proxy` settings, paths
 * relative to the mirror's home; `undefined` without the line (plain HTTP).
 *
 * @throws RunmdError for a line without exactly two files
 */
export function tlsFiles(settings: readonly Line[], home: string): TlsFiles | undefined {
  const lines = settings.filter((l) => l.name === 'tls');
  if (lines.length > 1) throw new RunmdError(lines[1]!.pos, '.tls is given twice');
  const line = lines[0];
  if (!line) return undefined;
  const words = line.input.split(/\s+/).filter((w) => w !== '');
  if (words.length !== 2) throw new RunmdError(line.inputPos, '.tls takes the certificate file and the key file (e.g. ".tls mirror.crt mirror.key")');
  return { cert: path.resolve(home, words[0]!), key: path.resolve(home, words[1]!) };
}

/**
 * Reads the files into a secure context, so a key that does not match its
 * certificate (a renewal caught half-written) fails here, not in a handshake.
 * The pair is also checked explicitly: OpenSSL keeps an RSA and an EC key in
 * separate slots, so a key of another type than the certificate loads without
 * error and every handshake then fails.
 *
 * @throws Error naming the file that cannot be read or used
 */
export function loadTls(files: TlsFiles): tls.SecureContextOptions {
  const options = { cert: readFileSync(files.cert), key: readFileSync(files.key) };
  tls.createSecureContext(options);
  // The first certificate of the file is the server's own (RFC 8446 §4.4.2: the sender's certificate comes first).
  if (!new X509Certificate(options.cert).checkPrivateKey(createPrivateKey(options.key))) {
    throw new Error(`the key in ${files.key} does not belong to the certificate in ${files.cert}`);
  }
  return options;
}

/**
 * Reloads the certificate into `server` when either file changes, so a
 * renewed certificate needs no restart. Polled with `fs.watchFile`: renewal
 * tools replace files by rename, which an inode watch would lose. A pair
 * that does not load is logged and the previous one kept.
 *
 * @returns stops watching
 */
export function reloadOnChange(files: TlsFiles, server: tls.Server, logger: Logger, intervalMs = 2_000): () => void {
  const reload = (current: Stats, previous: Stats): void => {
    if (current.mtimeMs === previous.mtimeMs && current.ino === previous.ino && current.size === previous.size) return;
    try {
      server.setSecureContext(loadTls(files));
      logger.info({ cert: files.cert }, 'tls: certificate reloaded');
    } catch (err) {
      logger.warn({ cert: files.cert, key: files.key, err: (err as Error).message }, 'tls: the changed certificate or key cannot be used; keeping the previous one');
    }
  };
  const options = { interval: intervalMs, persistent: false };
  watchFile(files.cert, options, reload);
  watchFile(files.key, options, reload);
  return () => {
    unwatchFile(files.cert, reload);
    unwatchFile(files.key, reload);
  };
}

/**
 * The warning for a mirror that serves plain HTTP beyond this machine: its
 * clients' requests (and any `Authorization` they forward) cross the network
 * in clear. `undefined` for a loopback address.
 */
export function plainHttpWarning(host: string): string | undefined {
  if (host === 'localhost' || host === '::1' || /^(::ffff:)?127\./.test(host)) return undefined;
  return `serving plain HTTP on ${host}, which is not a loopback address: add ": .tls <cert> <key>" to .proxy to serve HTTPS`;
}
