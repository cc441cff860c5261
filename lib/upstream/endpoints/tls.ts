import fs from 'node:fs';
import https from 'node:https';
import type { Line } from '../../runmd/ast';
import { RunmdError } from '../../runmd/errors';
import { LargeReadAgent } from '../agent';
import type { UpstreamAgents } from '../client';
import type { TlsFiles, TlsMaterial } from './declaration';

/**
 * Reads the files of `.ca` and `.client_cert`. A file that cannot be read
 * fails the start with its runmd position, never the first request.
 */
export function loadTls(files: TlsFiles): TlsMaterial {
  const material: TlsMaterial = {};
  if (files.ca) material.ca = readPem(files.ca.file, files.ca.line, 'CA');
  if (files.clientCert) {
    material.cert = readPem(files.clientCert.cert, files.clientCert.line, 'client certificate');
    material.key = readPem(files.clientCert.key, files.clientCert.line, 'client key');
  }
  return material;
}

/**
 * A connection pool of its own for one upstream. `ca` replaces Node's
 * trusted roots for this pool only (the process-wide `NODE_EXTRA_CA_CERTS`
 * would trust the private CA for every host); with the client certificate
 * the pool answers a tier that requires mutual TLS.
 */
export function createAgents(tls: TlsMaterial): UpstreamAgents {
  return {
    'http:': new LargeReadAgent({ keepAlive: true, scheduling: 'lifo' }),
    'https:': new https.Agent({ keepAlive: true, scheduling: 'lifo', ca: tls.ca, cert: tls.cert, key: tls.key }),
  };
}

function readPem(file: string, line: Line, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new RunmdError(line.inputPos, `cannot read the ${what} file ${file} (${code})`);
  }
}
