import type { Line, RootAttribute } from './ast';
import type { Catalog } from './catalog';
import { READ_METHODS, ROUTE_METHODS } from './catalog';
import type { PluginCall, ProxySpec, RouteMethod, RouteSpec } from './config';
import type { RouteKind } from '../oci/routes';
import { RunmdError } from './errors';
import { suggest } from './suggest';

const ROUTE_KINDS = Object.keys(ROUTE_METHODS) as RouteKind[];

function isRouteKind(name: string): name is RouteKind {
  return (ROUTE_KINDS as string[]).includes(name);
}

/**
 * Compiles `+ .proxy <address>`: settings lines first, then route lines
 * (`.manifests`, `.blobs`, `.tags`, `.referrers`, `.uploads`), each followed by its plugin
 * lines. Indentation is cosmetic: a plugin line belongs to the route above it.
 */
export function compileProxy(root: RootAttribute, catalog: Catalog): ProxySpec {
  if (root.input === '') throw new RunmdError(root.inputPos, '.proxy needs the address to listen on (e.g. "+ .proxy localhost:8578")');
  const settings: Line[] = [];
  const routes: RouteSpec[] = [];
  for (const line of root.properties) {
    const current = routes[routes.length - 1];
    if (line.key === undefined && isRouteKind(line.name)) {
      if (routes.some((r) => r.kind === line.name)) throw new RunmdError(line.pos, `route ".${line.name}" is declared twice`);
      routes.push({ kind: line.name, methods: parseMethods(line), plugins: [], pos: line.pos });
    } else if (current === undefined) {
      settings.push(checkSetting(line, catalog));
    } else {
      current.plugins.push(checkPlugin(line, current, catalog));
    }
  }
  for (const route of routes) checkStack(route, catalog);
  return { address: root.input, settings, routes, pos: root.pos };
}

/**
 * Why `proxy` cannot take a push (containerd's: blob uploads, then the
 * manifest PUT), or undefined when it can.
 */
export function missingPushRoutes(proxy: ProxySpec | undefined): string | undefined {
  if (!proxy) return 'the document has no .proxy';
  const manifests = proxy.routes.find((r) => r.kind === 'manifests');
  if (!proxy.routes.some((r) => r.kind === 'uploads')) return 'the .proxy has no ".uploads" route';
  if (!manifests?.methods.includes('put')) return '".manifests" does not list put';
  return undefined;
}

function parseMethods(line: Line): RouteMethod[] {
  const allowed = ROUTE_METHODS[line.name as RouteKind];
  const words = line.input.split(',').map((w) => w.trim().toLowerCase()).filter((w) => w !== '');
  if (words.length === 0) {
    throw new RunmdError(line.inputPos, `route ".${line.name}" lists no methods (e.g. ".${line.name} ${allowed.join(', ')}")`);
  }
  const methods: RouteMethod[] = [];
  for (const word of words) {
    if (!(allowed as string[]).includes(word)) {
      throw new RunmdError(line.inputPos, `method "${word}" is not allowed on ".${line.name}" (allowed: ${allowed.join(', ')})`);
    }
    if (!methods.includes(word as RouteMethod)) methods.push(word as RouteMethod);
  }
  return methods;
}

function checkSetting(line: Line, catalog: Catalog): Line {
  if (line.key !== undefined || catalog.proxySettings.includes(line.name)) return line;
  const hint = suggest(line.name, [...catalog.proxySettings, ...ROUTE_KINDS]);
  throw new RunmdError(line.pos, `unknown .proxy setting ".${line.name}"${hint ? ` (did you mean ".${hint}"?)` : ''}`);
}

function checkPlugin(line: Line, route: RouteSpec, catalog: Catalog): PluginCall {
  if (line.key !== undefined) throw new RunmdError(line.pos, `expected a plugin line under ".${route.kind}", found the value "${line.key}"`);
  const signature = catalog.plugins.get(line.name);
  if (!signature) {
    const hint = suggest(line.name, [...catalog.plugins.keys()]);
    throw new RunmdError(line.pos, `unknown plugin ".${line.name}"${hint ? ` (did you mean ".${hint}"?)` : ''}`);
  }
  if (!signature.routes.includes(route.kind)) {
    throw new RunmdError(line.pos, `plugin ".${line.name}" cannot be used on ".${route.kind}" (only on ${signature.routes.map((r) => `.${r}`).join(', ')})`);
  }
  return { name: line.name, input: line.input, pos: line.pos, inputPos: line.inputPos };
}

function checkStack(route: RouteSpec, catalog: Catalog): void {
  if (route.plugins.length === 0) throw new RunmdError(route.pos, `route ".${route.kind}" has no plugins (e.g. ":   .${defaultAnswer(route.kind)}")`);
  let answered = false;
  const seen: string[] = [];
  for (const call of route.plugins) {
    const signature = catalog.plugins.get(call.name);
    if (answered) throw new RunmdError(call.pos, `plugin ".${call.name}" can never run: the plugin before it answers the request`);
    for (const required of signature?.requires ?? []) {
      if (!seen.includes(required)) throw new RunmdError(call.pos, `plugin ".${call.name}" needs ".${required}" earlier in ".${route.kind}"`);
    }
    answered = signature?.terminal === true;
    seen.push(call.name);
  }
  checkWrites(route, catalog);
  const reads = route.kind !== 'uploads' && route.methods.some((m) => READ_METHODS.includes(m));
  const answers = route.plugins.some((c) => {
    const s = catalog.plugins.get(c.name);
    return s?.terminal === true || s?.producesManifest === true;
  });
  if (reads && !answers) throw new RunmdError(route.pos, `route ".${route.kind}" has no plugin that answers (add ".${defaultAnswer(route.kind)}")`);
}

/**
 * Write methods need the plugin that answers them (`.push`), and `.push`
 * needs write methods to answer. Only plugins that prepare a write
 * (credentials) may run before it, and all of them must: a write stops at
 * `.push`, so `.resolve` before it would answer a PUT with a read, and
 * `.login` after it would leave the write without credentials.
 */
function checkWrites(route: RouteSpec, catalog: Catalog): void {
  const writes = route.methods.filter((m) => route.kind === 'uploads' || !READ_METHODS.includes(m));
  const at = route.plugins.findIndex((c) => catalog.plugins.get(c.name)?.writes === 'answers');
  const push = route.plugins[at];
  if (!push) {
    if (writes.length > 0) throw new RunmdError(route.pos, `route ".${route.kind}" lists ${writes.join(', ')} but has no ".push" to answer them`);
    return;
  }
  if (writes.length === 0) {
    throw new RunmdError(push.pos, `".${push.name}" on ".${route.kind}", which lists only read methods (${route.methods.join(', ')}): add the write methods it should answer or remove it`);
  }
  route.plugins.forEach((call, i) => {
    const role = catalog.plugins.get(call.name)?.writes;
    if (i < at && role !== 'prepares') throw new RunmdError(call.pos, `plugin ".${call.name}" serves reads only: put it after ".${push.name}"`);
    if (i > at && role === 'prepares') throw new RunmdError(call.pos, `plugin ".${call.name}" must come before ".${push.name}": writes stop there`);
  });
}

function defaultAnswer(kind: RouteKind): string {
  return kind === 'manifests' ? 'resolve' : kind === 'uploads' ? 'push' : 'pull';
}
