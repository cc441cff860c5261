import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** A throwaway certificate authority made by openssl in `dir`. */
export interface TestCa {
  /** The CA certificate a client is told to trust. */
  caFile: string;
  /**
   * Issues a server certificate for 127.0.0.1 and localhost, written to
   * `<name>.crt` and `<name>.key` in the CA's directory (replaced by rename,
   * as renewal tools do). Returns the paths and the certificate's fingerprint.
   */
  issue(name: string): { cert: string; key: string; fingerprint: string };
}

const openssl = (dir: string, args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
/** P-256 keys: quick to make on a busy machine. */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeTestCa(dir: string): TestCa {
  openssl(dir, ['req', '-x509', ...NEW_KEY, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=lifec-mirror test CA']);
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  let serial = 1;
  return {
    caFile: path.join(dir, 'ca.crt'),
    issue(name) {
      const tmp = `${name}.next`;
      openssl(dir, ['req', ...NEW_KEY, '-keyout', `${tmp}.key`, '-out', `${tmp}.csr`, '-subj', '/CN=localhost']);
      openssl(dir, ['x509', '-req', '-in', `${tmp}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', String(serial++), '-out', `${tmp}.crt`, '-days', '2', '-extfile', 'server.ext']);
      const cert = path.join(dir, `${name}.crt`);
      const key = path.join(dir, `${name}.key`);
      fs.renameSync(path.join(dir, `${tmp}.key`), key);
      fs.renameSync(path.join(dir, `${tmp}.crt`), cert);
      return { cert, key, fingerprint: new X509Certificate(fs.readFileSync(cert)).fingerprint256 };
    },
  };
}
