import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { findBinary, isRoot } from '../harness';

const run = promisify(execFile);
const SCENARIO = path.join(__dirname, '../helpers/netns-redirect-scenario.js');

interface Answer {
  status: number;
  body: string;
}

interface Outcome {
  direct: Answer;
  blob: Answer;
  manifestByTag: Answer;
  tags: Answer;
  loopback: Answer;
  storage: Answer;
  rebindFirst: Answer;
  rebindSecond: Answer;
  rebindLookups: number;
  metadataConnections: number;
  loopbackConnections: number;
}

/**
 * The metadata address must be reachable for the refusal to mean anything,
 * and it must never be added to the machine's own interfaces: the scenario
 * runs in a network namespace this test creates (and deletes), with
 * 169.254.169.254 on that namespace's lo.
 */
describe('redirect targets (network namespace with a metadata trap)', () => {
  const name = `lifec-redirect-${process.pid}-${randomBytes(3).toString('hex')}`;
  let ip: string;
  let outcome: Outcome;

  beforeAll(async () => {
    if (!isRoot()) throw new Error('this test needs root to create a network namespace (ip netns add): run it with sudo');
    ip = findBinary('ip');
    await run(ip, ['netns', 'add', name]);
    const inside = (...args: string[]) => run(ip, ['netns', 'exec', name, ip, ...args]);
    await inside('link', 'set', 'lo', 'up');
    for (const address of ['169.254.169.254/32', '198.51.100.1/32', '198.51.100.2/32']) await inside('addr', 'add', address, 'dev', 'lo');
    const { stdout } = await run(ip, ['netns', 'exec', name, process.execPath, SCENARIO], { timeout: 90_000 });
    outcome = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Outcome;
  }, 120_000);

  afterAll(async () => {
    if (ip) await run(ip, ['netns', 'del', name]).catch(() => undefined);
  });

  it('can reach the trap directly, so the refusals below are the mirror\'s', () => {
    expect(outcome.direct).toEqual({ status: 200, body: 'secret-credentials' });
  });

  it('answers 502 to a redirect to the metadata address, and never connects to it', () => {
    for (const answer of [outcome.blob, outcome.manifestByTag, outcome.tags]) {
      expect(answer.status).toBe(502);
      expect(answer.body).not.toContain('secret-credentials');
      expect(JSON.parse(answer.body).errors[0].message).toMatch(/does not connect to \(169\.254\.169\.254\)/);
    }
    expect(outcome.metadataConnections).toBe(0);
  });

  it('refuses loopback targets from an upstream that is not on loopback', () => {
    expect(outcome.loopback.status).toBe(502);
    expect(outcome.loopbackConnections).toBe(0);
  });

  it('still follows redirects to a public address', () => {
    expect(outcome.storage).toEqual({ status: 200, body: 'storage' });
  });

  it('checks the address each connection resolves to (DNS rebinding)', () => {
    expect(outcome.rebindFirst).toEqual({ status: 200, body: 'storage' });
    expect(outcome.rebindSecond.status).toBe(502);
    expect(outcome.rebindLookups).toBe(2);
  });
});
