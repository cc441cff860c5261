#!/usr/bin/env node
'use strict';
const { main } = require('../dist/cli/main');

// The process side of the CLI: real streams, and SIGINT/SIGTERM as the stop request.
const stopSignal = new Promise((resolve) => {
  const stop = (signal) => {
    resolve(signal);
    // A second signal while draining means "now".
    process.once(signal, () => process.exit(130));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
});

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env, stopSignal })
  .then((code) => process.exit(code));
