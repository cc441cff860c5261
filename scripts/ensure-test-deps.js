#!/usr/bin/env node
// Checks, before `jest` runs, that the programs the end-to-end tests start are
// installed. Missing ones are installed when running as root; otherwise this prints
// the one command to run and fails, so e2e tests are never silently skipped.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

// program -> Debian package that provides it
const NEEDED = {
  'docker-registry': 'docker-registry',
  skopeo: 'skopeo',
  containerd: 'containerd',
  runc: 'runc',
  ctr: 'containerd',
  htpasswd: 'apache2-utils',
  openssl: 'openssl',
  podman: 'podman',
  dockerd: 'docker.io',
  chromium: 'chromium',
  ip: 'iproute2',
};
// Debian keeps some tools in sbin, which a non-login shell may leave off PATH.
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const INSTALLER = path.join(__dirname, 'install-test-deps.sh');

function found(name) {
  const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean).concat(EXTRA_DIRS);
  return dirs.some((dir) => {
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function missingPrograms() {
  return Object.keys(NEEDED).filter((name) => !found(name));
}

let missing = missingPrograms();
if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot) {
  const rel = path.relative(process.cwd(), INSTALLER) || INSTALLER;
  console.error(`missing test programs (${missing.join(', ')}): run \`sudo ${rel}\` ` +
    `(or: sudo apt-get install -y --no-install-recommends docker-registry skopeo containerd runc nginx apache2-utils openssl podman docker.io chromium iproute2)`);
  process.exit(1);
}

console.error(`installing missing test programs: ${missing.join(', ')}`);
const run = spawnSync('bash', [INSTALLER], { stdio: 'inherit' });
if (run.status !== 0) {
  console.error(`${INSTALLER} failed (exit ${run.status === null ? run.signal : run.status})`);
  process.exit(1);
}
missing = missingPrograms();
if (missing.length > 0) {
  console.error(`still missing after install: ${missing.join(', ')}`);
  process.exit(1);
}
