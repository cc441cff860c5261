import path from 'node:path';
import { startContainerd, writeHostsToml, type Containerd } from '../__tests__/harness';
import type { BenchResults } from './results';
import type { BenchEnv, Candidate } from './setup';
import { rotate } from './stats';

/**
 * Cold `ctr image pull` (fetch + unpack with the native snapshotter) of the
 * large image through each path. Each pull uses a new namespace: the private
 * containerd isolates content per namespace, so nothing is reused.
 */
export async function runCtrPhase(env: BenchEnv, rounds: number, results: BenchResults, log: (line: string) => void): Promise<void> {
  const c = env.candidates;
  const candidates: Array<{ candidate: Candidate; viaMirror: boolean }> = [
    { candidate: c.direct, viaMirror: false },
    { candidate: c.nginx, viaMirror: true },
    { candidate: c.distributionCold, viaMirror: true },
    { candidate: c.mirrorCold, viaMirror: true },
  ];
  const ref = env.images.refs.large;
  const containerd = await startContainerd(path.join(env.dir, 'containerd'));
  let serial = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      for (const { candidate, viaMirror } of rotate(candidates, round)) {
        const lease = await candidate.acquire();
        const hostsDir = path.join(env.dir, `hosts-${++serial}`);
        writeHostsToml(hostsDir, env.registry.host, viaMirror ? [{ url: lease.endpoint.url }] : []);
        const namespace = `bench-${serial}`;
        try {
          const started = process.hrtime.bigint();
          const pull = await containerd.pullWithCtr(ref, hostsDir, { namespace });
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          results.ctr.push({ candidate: candidate.name, round, seconds, ok: pull.code === 0 });
          log(`  ${candidate.name.padEnd(18)} round ${round + 1}: ${seconds.toFixed(2)} s${pull.code === 0 ? '' : ' FAILED'}`);
          if (pull.code !== 0) results.failures.push(`ctr pull via ${candidate.name}: ${pull.stderr.trim().split('\n').slice(-3).join(' | ')}`);
        } finally {
          await lease.release();
          await removeNamespace(containerd, namespace, ref);
        }
      }
    }
  } finally {
    await containerd.stop();
  }
}

/** Drops the image, its content and snapshots, so a full run does not fill the disk. */
async function removeNamespace(containerd: Containerd, namespace: string, ref: string): Promise<void> {
  await containerd.ctr(['images', 'rm', '--sync', ref], namespace);
  const content = await containerd.ctr(['content', 'ls', '-q'], namespace);
  const digests = content.stdout.split('\n').filter((d) => d !== '');
  if (digests.length > 0) await containerd.ctr(['content', 'rm', ...digests], namespace);
  await containerd.ctr(['namespaces', 'rm', namespace]);
}
