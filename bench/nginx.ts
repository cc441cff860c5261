import fs from 'node:fs';
import path from 'node:path';
import { findBinary, freePort, startProcess, type ManagedProcess } from '../__tests__/harness';

/** A running nginx reverse proxy; see {@link startNginx}. */
export interface Nginx {
  url: string;
  host: string;
  stop(): Promise<void>;
}

/**
 * The reverse proxy a user would pick instead of a mirror: a plain
 * `proxy_pass` to the registry with keep-alive upstream connections and
 * `proxy_buffering on` with 1 MiB buffers. One worker, like the mirror's one
 * Node.js event loop.
 */
function renderConfig(dir: string, port: number, upstream: string): string {
  // Run as root, nginx's workers switch to an unprivileged user that cannot
  // write the proxy temp files into the bench's private (0700) directory.
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `${user}worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  keepalive_timeout 65;
  keepalive_requests 100000;
  upstream registry { server ${upstream}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://registry;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffering on;
      proxy_buffer_size 1m;
      proxy_buffers 4 1m;
      proxy_busy_buffers_size 2m;
      proxy_read_timeout 900;
    }
  }
}
`;
}

/** Starts nginx on a free loopback port in front of `upstream` (`127.0.0.1:PORT`). */
export async function startNginx(dir: string, upstream: string): Promise<Nginx> {
  fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, renderConfig(dir, port, upstream));
  const child: ManagedProcess = startProcess({
    name: 'nginx',
    command: findBinary('nginx'),
    args: ['-c', conf, '-p', dir, '-e', path.join(dir, 'error.log')],
    logPath: path.join(dir, 'nginx.log'),
  });
  try {
    await child.waitForPort(port, 20_000);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, stop: () => child.stop() };
}
