import { defaultCatalog } from '../../../lib/catalog';
import { dumpEngine } from '../../../lib/engine/dump';
import { EngineError, runEngine } from '../../../lib/engine/engine';
import { numberEvents } from '../../../lib/engine/plan';
import { silentLogger } from '../../../lib/log';
import { compileRunmd } from '../../../lib/runmd/compile';
import type { MirrorConfig, StepSpec } from '../../../lib/runmd/config';
import { RunmdError } from '../../../lib/runmd/errors';
import { parseRunmd } from '../../../lib/runmd/parse';
import { PermanentStepError, type StepContext, type StepRunner } from '../../../lib/runtime/step-context';

const DOC = `
\`\`\`
+ .engine
: .once  install
: .start start
: .loop
\`\`\`

\`\`\` install
+ .runtime
: .println one
\`\`\`

\`\`\` start
+ .runtime
: .println two
: .println three
: .mirror http://127.0.0.1:5000
: .host localhost:8578, resolve, pull
\`\`\`

\`\`\` recover
+ .runtime
: .println never run
\`\`\`

+ .proxy localhost:8578
`;

const compile = (text: string): MirrorConfig => compileRunmd(parseRunmd(text, 'm.runmd'), defaultCatalog);
const config = compile(DOC.replace('+ .proxy localhost:8578', '```\n+ .proxy localhost:8578\n: .manifests get\n:   .resolve\n```'));

/** Runners that record what ran; `fail` decides whether a call throws. */
function recorder(fail: (step: StepSpec, call: number) => Error | undefined = () => undefined) {
  const ran: string[] = [];
  const runner: StepRunner = async (step) => {
    ran.push(step.input);
    const err = fail(step, ran.length);
    if (err) throw err;
  };
  const runners = new Map<string, StepRunner>([['println', runner], ['mirror', runner]]);
  return { ran, runners };
}

const ctx = (signal?: AbortSignal): StepContext => ({ home: '/nonexistent', config, logger: silentLogger(), clock: { now: () => 0 }, env: {}, signal });
const noWait = async (): Promise<void> => undefined;

describe('engine numbering and dump', () => {
  test('numbers the engine, then events and steps in document order', () => {
    const ids = numberEvents(config).map((e) => [e.id, e.event.name, e.steps.map((s) => [s.id, s.step.input])]);
    expect(ids).toEqual([
      [1, 'install', [[2, 'one']]],
      [3, 'start', [[4, 'two'], [5, 'three'], [6, 'http://127.0.0.1:5000']]],
      [7, 'recover', [[8, 'never run']]],
    ]);
  });

  test('dumps steps with their ids and properties, and the proxy routes with their plugins', () => {
    const text = dumpEngine(config);
    expect(text).toMatch(/^ {2}0 engine mirror/m);
    expect(text).toMatch(/^ {2}6 {3}\.mirror http:\/\/127\.0\.0\.1:5000$/m);
    expect(text).toMatch(/^\s+\.host localhost:8578, resolve, pull$/m);
    expect(text).toMatch(/^ {2}7 event recover {2}\(not run by the engine\)/m);
    expect(text).toMatch(/^\s+proxy localhost:8578\n\s+\.manifests get\n\s+\.resolve$/m);
    expect(dumpEngine(config)).toBe(text);
  });
});

describe('dump redaction', () => {
  test('prints the value of a credential .header as [redacted], other headers as written', () => {
    const withHeaders = compile(
      DOC.replace(': .host localhost:8578, resolve, pull', ': .host localhost:8578, resolve, pull\n: .header Authorization Basic YWxpY2U6czNjcmV0\n: .header proxy-authorization Bearer tok-123\n: .header Cookie session=abc\n: .header X-Trace keep-me').replace(
        '+ .proxy localhost:8578',
        '',
      ),
    );
    const text = dumpEngine(withHeaders);
    expect(text).toMatch(/^\s+\.header Authorization \[redacted\]$/m);
    expect(text).toMatch(/^\s+\.header proxy-authorization \[redacted\]$/m);
    expect(text).toMatch(/^\s+\.header Cookie \[redacted\]$/m);
    expect(text).toMatch(/^\s+\.header X-Trace keep-me$/m);
    for (const secret of ['YWxpY2U6czNjcmV0', 'tok-123', 'session=abc']) expect(text).not.toContain(secret);
  });
});

describe('runEngine', () => {
  test('runs the sequence in order and skips events the engine does not name', async () => {
    const { ran, runners } = recorder();
    await expect(runEngine(config, { runners, ctx: ctx() })).resolves.toBe('done');
    expect(ran).toEqual(['one', 'two', 'three', 'http://127.0.0.1:5000']);
  });

  test('--id of a step skips every step before it', async () => {
    const { ran, runners } = recorder();
    await runEngine(config, { runners, ctx: ctx(), startAt: 5 });
    expect(ran).toEqual(['three', 'http://127.0.0.1:5000']);
  });

  test('--id of an event starts at its first step', async () => {
    const { ran, runners } = recorder();
    await runEngine(config, { runners, ctx: ctx(), startAt: 3 });
    expect(ran).toEqual(['two', 'three', 'http://127.0.0.1:5000']);
  });

  test('rejects an unknown id, and an id in an event the engine never runs, before running anything', async () => {
    const { ran, runners } = recorder();
    await expect(runEngine(config, { runners, ctx: ctx(), startAt: 42 })).rejects.toThrow('no step with id 42 in m.runmd (ids run from 0 to 8');
    await expect(runEngine(config, { runners, ctx: ctx(), startAt: 8 })).rejects.toThrow('id 8 is in event "recover", which the engine does not run');
    expect(ran).toEqual([]);
  });

  test('with .loop, restarts the failed event after a back-off without repeating .once events', async () => {
    const { ran, runners } = recorder((step, call) => (step.input === 'three' && call < 6 ? new Error('network down') : undefined));
    const waits: number[] = [];
    await runEngine(config, { runners, ctx: ctx(), backoff: (n) => 1000 * 2 ** n, sleep: async (ms) => void waits.push(ms) });
    expect(ran).toEqual(['one', 'two', 'three', 'two', 'three', 'two', 'three', 'http://127.0.0.1:5000']);
    expect(waits).toEqual([1000, 2000]);
  });

  test('--id skips steps on the first pass only: a .loop retry runs the whole event', async () => {
    const { ran, runners } = recorder((step, call) => (step.input === 'three' && call === 1 ? new Error('network down') : undefined));
    await runEngine(config, { runners, ctx: ctx(), startAt: 5, sleep: noWait });
    expect(ran).toEqual(['three', 'two', 'three', 'http://127.0.0.1:5000']);
  });

  test('without .loop, a failed step ends the run with its id and cause', async () => {
    const noLoop = compile(DOC.replace(': .loop\n', '').replace('+ .proxy localhost:8578', ''));
    const { runners } = recorder((step) => (step.input === 'three' ? new Error('disk full') : undefined));
    const failure = runEngine(noLoop, { runners, ctx: ctx(), sleep: noWait });
    await expect(failure).rejects.toBeInstanceOf(EngineError);
    await expect(failure).rejects.toThrow('step 5 .println failed: disk full');
  });

  test('a failed .once event and a configuration mistake are not retried even with .loop', async () => {
    const once = recorder((step) => (step.input === 'one' ? new Error('no permission') : undefined));
    await expect(runEngine(config, { runners: once.runners, ctx: ctx(), sleep: noWait })).rejects.toThrow('step 2 .println failed: no permission');
    const mistake = recorder((step) => (step.input === 'two' ? new RunmdError(step.inputPos, 'bad input') : undefined));
    await expect(runEngine(config, { runners: mistake.runners, ctx: ctx(), sleep: noWait })).rejects.toThrow(RunmdError);
    expect(mistake.ran).toEqual(['one', 'two']);
    const permanent = recorder((step) => (step.input === 'two' ? new PermanentStepError('EACCES') : undefined));
    await expect(runEngine(config, { runners: permanent.runners, ctx: ctx(), sleep: noWait })).rejects.toThrow('step 4 .println failed: EACCES');
    expect(permanent.ran).toEqual(['one', 'two']);
  });

  test('a stop request during the back-off ends the run as stopped', async () => {
    const stop = new AbortController();
    const { runners } = recorder((step) => (step.input === 'two' ? new Error('down') : undefined));
    const outcome = await runEngine(config, { runners, ctx: ctx(stop.signal), sleep: async () => stop.abort() });
    expect(outcome).toBe('stopped');
  });

  test('refuses to start when a step has no runner', async () => {
    const { ran } = recorder();
    await expect(runEngine(config, { runners: new Map(), ctx: ctx() })).rejects.toThrow('step ".println" cannot run: no runner for it in this build');
    expect(ran).toEqual([]);
  });
});
