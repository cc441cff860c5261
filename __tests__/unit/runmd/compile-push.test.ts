import { defaultCatalog } from '../../../lib/catalog';
import { compileRunmd } from '../../../lib/runmd/compile';
import { RunmdError } from '../../../lib/runmd/errors';
import { parseRunmd } from '../../../lib/runmd/parse';

const compile = (...lines: string[]) => compileRunmd(parseRunmd(['``` start mirror', ...lines, '```', ''].join('\n'), 'push.runmd'), defaultCatalog);
const runtime = (host = ''): string[] => ['+ .runtime', ': .mirror http://127.0.0.1:5000', ...(host ? [`: .host ${host}`] : []), '+ .proxy localhost:8578'];
const PUSH_ROUTES = [': .manifests head, get, put, delete', ':   .login access_token', ':   .authn oauth2', ':   .push', ':   .resolve', ': .uploads post, patch, put, get, delete', ':   .push'];

function reason(...lines: string[]): string {
  try {
    compile(...lines);
  } catch (err) {
    if (err instanceof RunmdError) return `${err.pos.line}:${err.pos.column} ${err.reason}`;
    throw err;
  }
  throw new Error('expected a RunmdError');
}

describe('compiling push routes', () => {
  it('compiles write methods, the .uploads route and .push in the stacks', () => {
    const config = compile(...runtime('localhost:8578, pull, resolve, push'), ...PUSH_ROUTES, ': .blobs head, get, delete', ':   .push', ':   .pull');
    expect(config.proxy?.routes.map((r) => [r.kind, r.methods.join(','), r.plugins.map((p) => p.name).join(',')])).toEqual([
      ['manifests', 'head,get,put,delete', 'login,authn,push,resolve'],
      ['uploads', 'post,patch,put,get,delete', 'push'],
      ['blobs', 'head,get,delete', 'push,pull'],
    ]);
  });

  it('rejects a write method on a route without .push', () => {
    expect(reason(...runtime(), ': .manifests head, get, put', ':   .resolve')).toBe('5:1 route ".manifests" lists put but has no ".push" to answer them');
    expect(reason(...runtime(), ': .uploads post, put', ':   .login access_token')).toMatch(/^5:1 route ".uploads" lists post, put but has no ".push"/);
  });

  it('rejects .push on a route that lists only reads', () => {
    expect(reason(...runtime(), ': .blobs head, get', ':   .push', ':   .pull')).toBe('6:1 ".push" on ".blobs", which lists only read methods (head, get): add the write methods it should answer or remove it');
  });

  it('rejects .push where it cannot be used, and read plugins before it', () => {
    expect(reason(...runtime(), ': .tags get', ':   .push')).toMatch(/plugin ".push" cannot be used on ".tags"/);
    expect(reason(...runtime(), ': .manifests head, get, put', ':   .resolve', ':   .push')).toBe('6:1 plugin ".resolve" serves reads only: put it after ".push"');
    expect(reason(...runtime(), ': .uploads post', ':   .push', ':   .login access_token')).toBe('7:1 plugin ".login" must come before ".push": writes stop there');
  });

  it('still needs a read plugin for the reads of a route that takes writes', () => {
    expect(reason(...runtime(), ': .manifests head, get, put', ':   .push')).toMatch(/route ".manifests" has no plugin that answers \(add ".resolve"\)/);
  });

  it('rejects ".host …, push" at the proxy when it takes no pushes', () => {
    expect(reason(...runtime('localhost:8578, pull, resolve, push'), ': .manifests head, get', ':   .resolve')).toBe(
      `4:9 "push" sends containerd's uploads to the mirror, but the .proxy has no ".uploads" route`,
    );
    expect(reason(...runtime('127.0.0.1:8578, push'), ': .manifests head, get', ':   .resolve', ': .uploads post', ':   .push')).toMatch(/".manifests" does not list put/);
  });

  it('leaves ".host …, push" alone when it names another host', () => {
    expect(() => compile(...runtime('https://other-mirror:8578, push'), ': .manifests head, get', ':   .resolve')).not.toThrow();
    expect(() => compile('+ .runtime', ': .mirror a.io', ': .host localhost:8578, push')).not.toThrow();
  });
});
