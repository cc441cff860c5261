import fs from 'node:fs';
import path from 'node:path';
import { findBinary, freePort, startProcess } from '../harness';

/** nginx in front of a registry, the way a Harbor proxy project looks from outside. */
export interface PrefixProxy {
  /** `http://127.0.0.1:PORT/<prefix>`: what an `.endpoint` line names. */
  endpoint: string;
  host: string;
  /** Request lines nginx saw, `"GET /v2/<prefix>/…"`. */
  accessLog(): string[];
  stop(): Promise<void>;
}

/**
 * Starts nginx on a free loopback port: `/v2/<prefix>/<repo>/…` is rewritten
 * to `/v2/<repo>/…` and passed to `upstream` (`127.0.0.1:PORT`), which is how
 * a Harbor proxy-cache project addresses an upstream registry's repositories.
 */
export async function startPrefixProxy(dir: string, upstream: string, prefix: string): Promise<PrefixProxy> {
  fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  const port = await freePort();
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(
    conf,
    `${user}worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  log_format line '$request';
  access_log ${dir}/access.log line;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${port};
    location = /v2/ { proxy_pass http://${upstream}; }
    location /v2/${prefix}/ {
      rewrite ^/v2/${prefix}/(.*)$ /v2/$1 break;
      proxy_pass http://${upstream};
      proxy_set_header Host $http_host;
      proxy_buffering off;
    }
    location / { return 404; }
  }
}
`,
  );
  const child = startProcess({ name: 'nginx', command: findBinary('nginx'), args: ['-c', conf, '-p', dir, '-e', path.join(dir, 'error.log')], logPath: path.join(dir, 'nginx.log') });
  try {
    await child.waitForPort(port, 20_000);
  } catch (err) {
    await child.stop();
    throw err;
  }
  const accessLog = (): string[] => {
    const file = path.join(dir, 'access.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : [];
  };
  return { endpoint: `http://127.0.0.1:${port}/${prefix}`, host: `127.0.0.1:${port}`, accessLog, stop: () => child.stop() };
}
