'use strict';
// Runs inside a test-only network namespace (see __tests__/e2e/redirect-targets.test.ts),
// whose lo carries 169.254.169.254 (the metadata address), 198.51.100.1 (the
// upstream registry, a "public" address) and 198.51.100.2 (object storage).
// A trap listens on the metadata address and on loopback; the mirror (built
// dist/) runs in front of the upstream. Prints one JSON line: what each client
// request got and how many connections each trap saw.
const dns = require('node:dns');
const http = require('node:http');
const path = require('node:path');

const DIST = path.join(__dirname, '../../dist');
const { createMirror } = require(path.join(DIST, 'mirror'));
const { startServer } = require(path.join(DIST, 'server'));
const { silentLogger } = require(path.join(DIST, 'log'));

const METADATA = '169.254.169.254';
const DIGEST = `sha256:${'a'.repeat(64)}`;

function listen(server, host, port = 0) {
  return new Promise((resolve) => server.listen(port, host, () => resolve(server.address().port)));
}

function get(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', () => resolve({ status: res.statusCode, body, cut: true }));
    });
    req.on('error', (error) => resolve({ status: 0, body: error.message }));
  });
}

function trap(host) {
  const state = { connections: 0, port: 0 };
  const server = http.createServer((_req, res) => res.end('secret-credentials'));
  server.on('connection', () => (state.connections += 1));
  return { state, server, start: async () => (state.port = await listen(server, host)) };
}

async function main() {
  const metadata = trap(METADATA);
  const loopback = trap('127.0.0.1');
  await metadata.start();
  await loopback.start();
  const storage = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Length': 7, Connection: 'close' });
    res.end('storage');
  });
  const storagePort = await listen(storage, '198.51.100.2', metadata.state.port);

  // `rebind.test` answers storage's address once, then the metadata address (DNS rebinding).
  let rebindLookups = 0;
  const realLookup = dns.lookup;
  dns.lookup = (hostname, options, callback) => {
    const cb = typeof options === 'function' ? options : callback;
    const opts = typeof options === 'function' ? {} : options;
    if (hostname !== 'rebind.test') return realLookup(hostname, opts, cb);
    rebindLookups += 1;
    const address = rebindLookups === 1 ? '198.51.100.2' : METADATA;
    return opts.all ? cb(null, [{ address, family: 4 }]) : cb(null, address, 4);
  };

  const targets = {
    metadata: `http://${METADATA}:${metadata.state.port}/latest/meta-data/iam/`,
    loopback: `http://127.0.0.1:${loopback.state.port}/admin`,
    storage: `http://198.51.100.2:${storagePort}/blob`,
    rebind: `http://rebind.test:${storagePort}/blob`,
  };
  const upstream = http.createServer((req, res) => {
    const repository = req.url.split('/')[2];
    res.writeHead(307, { Location: targets[repository] ?? targets.metadata, 'Content-Length': 0 });
    res.end();
  });
  const upstreamPort = await listen(upstream, '198.51.100.1');

  const runmd = [
    '``` start mirror',
    '+ .runtime',
    `: .mirror http://198.51.100.1:${upstreamPort}`,
    ': .connect_timeout 2s',
    ': .headers_timeout 5s',
    '+ .proxy localhost:0',
    ': .manifests head, get',
    ':   .resolve',
    ': .blobs head, get',
    ':   .pull',
    ': .tags get',
    ':   .pull',
    '```',
    '',
  ].join('\n');
  const server = await startServer(createMirror({ runmd, logger: silentLogger() }), silentLogger(), { host: '127.0.0.1', port: 0 });

  const result = {};
  // The metadata trap is reachable from here: a refusal below is the mirror's doing.
  result.direct = await get(targets.metadata);
  metadata.state.connections = 0;
  result.blob = await get(`${server.url}/v2/metadata/blobs/${DIGEST}`);
  result.manifestByTag = await get(`${server.url}/v2/metadata/manifests/latest`);
  result.tags = await get(`${server.url}/v2/metadata/tags/list`);
  result.loopback = await get(`${server.url}/v2/loopback/blobs/${DIGEST}`);
  result.storage = await get(`${server.url}/v2/storage/blobs/${DIGEST}`);
  result.rebindFirst = await get(`${server.url}/v2/rebind/blobs/${DIGEST}`);
  result.rebindSecond = await get(`${server.url}/v2/rebind/blobs/${DIGEST}`);
  result.rebindLookups = rebindLookups;
  result.metadataConnections = metadata.state.connections;
  result.loopbackConnections = loopback.state.connections;

  await server.close(1000);
  for (const s of [upstream, storage, metadata.server, loopback.server]) {
    s.closeAllConnections();
    s.close();
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
