import type { Block, Line, RootAttribute, RunmdDocument, SourcePos, TypedValue } from './ast';
import type { Catalog } from './catalog';
import type { EngineSpec, EventSpec, MirrorConfig, MirrorSpec, ProxySpec, StepSpec } from './config';
import { compileProxy, missingPushRoutes } from './compile-proxy';
import { RunmdError } from './errors';
import { suggest } from './suggest';
import { parseRegistryAddress } from '../oci/registry-address';

/**
 * Checks a parsed document against the catalog of plugins and steps and
 * returns the configuration the engine, the server and hosts.toml are built
 * from. Every mistake is a `RunmdError` with its position: nothing is left to
 * fail at the first request.
 */
export function compileRunmd(doc: RunmdDocument, catalog: Catalog): MirrorConfig {
  let engine: EngineSpec | undefined;
  const events: EventSpec[] = [];
  let proxy: ProxySpec | undefined;
  for (const block of doc.blocks) {
    const steps: StepSpec[] = [];
    for (const root of block.roots) {
      if (root.name === 'engine') {
        if (engine) throw new RunmdError(root.pos, 'a document has one .engine');
        engine = compileEngine(root, block);
      } else if (root.name === 'runtime') {
        steps.push(...compileRuntime(root, catalog));
      } else if (root.name === 'proxy') {
        if (proxy) throw new RunmdError(root.pos, `a document has one .proxy (the first is at line ${proxy.pos.line})`);
        proxy = compileProxy(root, catalog);
      } else {
        const hint = suggest(root.name, ['engine', 'runtime', 'proxy']);
        throw new RunmdError(root.pos, `unknown root ".${root.name}"${hint ? ` (did you mean ".${hint}"?)` : ''}`);
      }
    }
    if (block.roots.some((r) => r.name === 'runtime')) events.push(compileEvent(block, steps));
  }
  const config: MirrorConfig = { file: doc.file, engine: engine ?? implicitEngine(events), events, mirrors: compileMirrors(events), proxy };
  checkEngineEvents(config);
  checkPushHosts(config);
  return config;
}

/**
 * `.host …, push` points containerd's uploads at that host (containerd uses
 * the first host with `push`, with no fallback). When the host is this
 * document's `.proxy`, it must answer them, or every push ends in a 405.
 */
function checkPushHosts(config: MirrorConfig): void {
  const proxy = config.proxy;
  if (!proxy) return;
  const missing = missingPushRoutes(proxy);
  if (!missing) return;
  for (const line of config.mirrors.flatMap((m) => m.properties)) {
    if (line.name !== 'host' || line.key !== undefined) continue;
    const [address = '', ...capabilities] = line.input.split(',').map((w) => w.trim().toLowerCase());
    if (capabilities.includes('push') && sameListener(address, proxy.address)) {
      throw new RunmdError(line.inputPos, `"push" sends containerd's uploads to the mirror, but ${missing}`);
    }
  }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True when a `.host` address names the `.proxy` listener (loopback names are one host). */
function sameListener(hostAddress: string, proxyAddress: string): boolean {
  const parse = (text: string): URL | undefined => {
    try {
      return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
    } catch {
      return undefined;
    }
  };
  const host = parse(hostAddress);
  const proxy = parse(proxyAddress);
  if (!host || !proxy || host.port !== proxy.port) return false;
  return host.hostname === proxy.hostname || (LOOPBACK.has(host.hostname) && LOOPBACK.has(proxy.hostname));
}

function compileEvent(block: Block, steps: StepSpec[]): EventSpec {
  const controls: Record<string, TypedValue> = {};
  for (const line of block.controls) {
    if (line.key === undefined || line.value === undefined) {
      throw new RunmdError(line.pos, `a block setting before the first "+" line is written "name .type value" (e.g. ": work_dir .symbol .world")`);
    }
    controls[line.key] = line.value;
  }
  return { name: block.event ?? 'start', engine: block.engine, controls, steps, pos: block.pos };
}

/** `.runtime` lines: each known step starts a step; its property lines attach to it. */
function compileRuntime(root: RootAttribute, catalog: Catalog): StepSpec[] {
  const steps: StepSpec[] = [];
  for (const line of root.properties) {
    const current = steps[steps.length - 1];
    const signature = line.key === undefined ? catalog.steps.get(line.name) : undefined;
    if (signature) {
      steps.push({ name: line.name, input: line.input, properties: [], pos: line.pos, inputPos: line.inputPos });
    } else if (current && (line.key !== undefined || catalog.steps.get(current.name)?.properties.includes(line.name))) {
      current.properties.push(line);
    } else {
      const names = [...catalog.steps.keys(), ...(current ? catalog.steps.get(current.name)?.properties ?? [] : [])];
      const hint = suggest(line.name, names);
      throw new RunmdError(line.pos, `unknown step ".${line.name}"${hint ? ` (did you mean ".${hint}"?)` : ''}`);
    }
  }
  for (const step of steps) catalog.steps.get(step.name)?.check?.(step);
  return steps;
}

function compileMirrors(events: EventSpec[]): MirrorSpec[] {
  const mirrors: MirrorSpec[] = [];
  for (const step of events.flatMap((e) => e.steps).filter((s) => s.name === 'mirror')) {
    let address: { host: string; origin: string };
    try {
      address = parseRegistryAddress(step.input);
    } catch (err) {
      throw new RunmdError(step.inputPos, (err as Error).message);
    }
    const twin = mirrors.find((m) => m.host === address.host);
    if (twin) throw new RunmdError(step.pos, `registry ${address.host} is already declared at line ${twin.pos.line}`);
    mirrors.push({ address: step.input, ...address, properties: step.properties, pos: step.pos });
  }
  return mirrors;
}

/** `+ .engine` with `: .once <event>`, `: .start <event>` and `: .loop`. */
function compileEngine(root: RootAttribute, block: Block): EngineSpec {
  const engine: EngineSpec = { name: block.engine ?? block.event ?? 'mirror', sequence: [], loop: false, pos: root.pos };
  for (const line of root.properties) {
    if (line.name === 'loop' && line.key === undefined) {
      engine.loop = true;
    } else if ((line.name === 'once' || line.name === 'start') && line.key === undefined) {
      if (line.input === '') throw new RunmdError(line.inputPos, `.${line.name} needs the name of an event block`);
      engine.sequence.push({ event: line.input, once: line.name === 'once', pos: line.pos });
    } else {
      const hint = suggest(line.name, ['once', 'start', 'loop']);
      throw new RunmdError(line.pos, `unknown .engine setting ".${line.name}"${hint ? ` (did you mean ".${hint}"?)` : ''}`);
    }
  }
  return engine;
}

/** Without `+ .engine`, every block with a `.runtime` runs once, in document order. */
function implicitEngine(events: EventSpec[]): EngineSpec {
  return { name: events.find((e) => e.engine)?.engine ?? 'mirror', sequence: events.map((e) => ({ event: e.name, once: false, pos: e.pos })), loop: false };
}

function checkEngineEvents(config: MirrorConfig): void {
  for (const entry of config.engine.sequence) {
    if (config.events.some((e) => e.name === entry.event)) continue;
    const hint = suggest(entry.event, config.events.map((e) => e.name));
    throw new RunmdError(entry.pos, `the engine names event "${entry.event}", but no block is tagged with it${hint ? ` (did you mean "${hint}"?)` : ''}`);
  }
}

/** The first property line called `name`, if any. */
export function findProperty(lines: readonly Line[], name: string): Line | undefined {
  return lines.find((l) => l.name === name && l.key === undefined);
}

export type { SourcePos };
