import fs from 'node:fs';
import path from 'node:path';
import { runBlobPhase } from './blobs';
import { runCtrPhase } from './ctr';
import { runFleetPhase } from './fleet';
import { describeMachine } from './machine';
import { runManifestPhase } from './manifests';
import { runMemoryPhase } from './memory';
import { ROOT } from './mirror';
import { DEFAULT_PHASES, parseOptions } from './options';
import { renderReport } from './report';
import type { BenchResults } from './results';
import { isRoot } from '../__tests__/harness';
import { ensurePrograms, startEnv, type BenchEnv } from './setup';
import { checkTargets } from './summary';

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/**
 * `npm run bench [-- --quick]`: the mirror against the registry direct, nginx
 * and Distribution's proxy mode, on loopback. Prints the tables, writes the
 * raw numbers to bench/results/, exits 1 only when a run failed.
 */
async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  ensurePrograms();
  const results: BenchResults = {
    mode: options.quick ? 'quick' : 'full',
    startedAt: new Date().toISOString(),
    machine: describeMachine(),
    mirror: { auth: false, cache: false },
    largeLayerBytes: 0,
    blobs: [], manifests: [], memory: [], ctr: [], fleet: [], targets: [], failures: [], skipped: [],
  };
  const started = Date.now();
  let env: BenchEnv | undefined;
  try {
    log(`starting the registry, pushing the test images (large layer ${options.largeMiB} MiB) and the peers`);
    env = await startEnv(options.largeMiB);
    results.mirror = env.features;
    results.largeLayerBytes = env.images.large?.layers.at(-1)?.size ?? 0;
    log(`mirror plugins: auth ${env.features.auth ? 'on' : 'off'}, cache ${env.features.cache ? 'on' : 'off'}`);
    const phases: Array<[string, () => Promise<void>]> = [
      ['blobs', () => runBlobPhase(env!, options.blobRounds, results, log)],
      ['manifests', () => runManifestPhase(env!, options.manifestRounds, options.manifestSeconds, results, log)],
      ['memory', () => runMemoryPhase(env!, options.slowRate, results, log)],
      ['ctr', () => runCtrPhase(env!, options.ctrRounds, results, log)],
      ['fleet', () => runFleetPhase(env!, options.nodes, results, log)],
    ];
    for (const [name, phase] of phases) {
      if (!options.phases.has(name as never)) {
        results.skipped.push(`${name}: not asked for (--only)`);
        continue;
      }
      if (name === 'ctr' && !isRoot()) {
        // containerd's native snapshotter needs root; the other phases do not.
        results.skipped.push('ctr: containerd needs root (run the bench with sudo)');
        log('== ctr skipped: containerd needs root');
        continue;
      }
      log(`== ${name}`);
      try {
        await phase();
      } catch (err) {
        results.failures.push(`${name} phase: ${err instanceof Error ? err.message : String(err)}`);
        log(`  ${name} phase failed: ${err instanceof Error ? err.stack : String(err)}`);
      }
    }
  } catch (err) {
    results.failures.push(`setup: ${err instanceof Error ? err.message : String(err)}`);
    log(`setup failed: ${err instanceof Error ? err.stack : String(err)}`);
  } finally {
    await env?.stop();
  }
  results.targets = checkTargets(results);
  results.finishedAt = new Date().toISOString();
  // A run of some phases only is named for them, so it is never taken for a whole run.
  const only = options.phases.size !== DEFAULT_PHASES.length || !DEFAULT_PHASES.every((p) => options.phases.has(p)) ? `-only-${[...options.phases].join('-')}` : '';
  const file = path.join(ROOT, 'bench/results', `${results.startedAt.replace(/[:.]/g, '-')}-${results.mode}${only}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  // The tables of the last whole run stay in latest.md; a run of some phases writes its own.
  fs.writeFileSync(path.join(ROOT, 'bench/results', only ? `latest${only}.md` : 'latest.md'), renderReport(results));
  process.stdout.write(`\n${renderReport(results)}\nraw numbers: ${path.relative(process.cwd(), file)} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  return results.failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
