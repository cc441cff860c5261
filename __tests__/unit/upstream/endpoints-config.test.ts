import { defaultCatalog } from '../../../lib/catalog';
import { dumpEngine } from '../../../lib/engine/dump';
import { compileRunmd } from '../../../lib/runmd/compile';
import { RunmdError } from '../../../lib/runmd/errors';
import { parseRunmd } from '../../../lib/runmd/parse';
import { endpointPath, splitRepositoryPath } from '../../../lib/upstream/endpoints/request-path';
import { upstreamsFromConfig } from '../../../lib/upstream/from-config';

const compile = (...lines: string[]) => compileRunmd(parseRunmd(['``` start mirror', '+ .runtime', ...lines, '```', ''].join('\n'), 'test.runmd'), defaultCatalog);

function compileError(...lines: string[]): RunmdError {
  try {
    compile(...lines);
  } catch (err) {
    if (err instanceof RunmdError) return err;
    throw err;
  }
  throw new Error('expected a RunmdError');
}

describe('.endpoint lines', () => {
  it('lists endpoints in the order written, the registry last, with path prefixes', () => {
    const config = compile(': .mirror docker.io', ': .endpoint http://tier.local:5000', ': .endpoint https://harbor.example/dockerhub-proxy/');
    const [upstream] = upstreamsFromConfig(config.mirrors);
    expect(upstream!.fetchPlan).toEqual({
      endpoints: [
        { name: 'tier.local:5000', origin: 'http://tier.local:5000', prefix: undefined, tls: {} },
        { name: 'harbor.example/dockerhub-proxy', origin: 'https://harbor.example', prefix: 'dockerhub-proxy', tls: {} },
      ],
      origin: true,
      originTls: {},
    });
  });

  it('has no fetch plan without endpoint or TLS lines (the registry alone, as before)', () => {
    expect(upstreamsFromConfig(compile(': .mirror http://127.0.0.1:5000').mirrors)[0]!.fetchPlan).toBeUndefined();
  });

  it('shows the fetch order in dump', () => {
    const text = dumpEngine(compile(': .mirror http://127.0.0.1:5000', ': .endpoint http://127.0.0.1:6000', ': .origin off'));
    expect(text).toContain('fetch order: 127.0.0.1:6000  (.origin off: never the registry)');
    const withOrigin = dumpEngine(compile(': .mirror http://127.0.0.1:5000', ': .endpoint http://127.0.0.1:6000/p'));
    expect(withOrigin).toContain('fetch order: 127.0.0.1:6000/p → 127.0.0.1:5000 (the registry)');
  });

  it.each([
    [[': .endpoint'], '.endpoint needs a URL'],
    [[': .endpoint ftp://x'], 'must be an http(s) URL'],
    [[': .endpoint http://u:p@x'], 'without credentials'],
    [[': .endpoint http://x/Bad_Prefix'], 'is not a repository prefix'],
    [[': .endpoint http://x', ': .endpoint http://x'], 'listed twice'],
    [[': .origin off'], '.origin off leaves nothing to fetch from'],
    [[': .endpoint http://x', ': .origin maybe'], '.origin takes "on" or "off"'],
    [[': .ca'], '.ca takes one CA file'],
    [[': .client_cert only-a-cert'], '.client_cert takes a certificate file and a key file'],
    [[': .endpoint http://x', ': .ca a.pem', ': .ca b.pem'], '.ca is given twice'],
  ])('refuses %j at compile time', (lines, message) => {
    expect(compileError(': .mirror http://127.0.0.1:5000', ...lines).message).toContain(message);
  });

  it('fails at start, naming the line, when a CA file cannot be read', () => {
    const config = compile(': .mirror http://127.0.0.1:5000', ': .endpoint https://tier', ': .ca /nonexistent/ca.pem');
    expect(() => upstreamsFromConfig(config.mirrors)).toThrow(/test\.runmd:5:.*cannot read the CA file \/nonexistent\/ca\.pem \(ENOENT\)/);
  });
});

describe('endpoint request paths', () => {
  it('splits a path around its repository, reading the route kind from the end', () => {
    expect(splitRepositoryPath('/v2/a/blobs/b/manifests/latest')).toEqual({ name: 'a/blobs/b', tail: '/manifests/latest' });
    expect(splitRepositoryPath('/v2/library/redis/tags/list?n=10')).toEqual({ name: 'library/redis', tail: '/tags/list?n=10' });
    expect(splitRepositoryPath('/v2/')).toBeUndefined();
  });

  it('puts the repository under a prefix, or adds ns', () => {
    expect(endpointPath('/v2/library/redis/manifests/7', 'docker.io', 'hub')).toBe('/v2/hub/library/redis/manifests/7');
    expect(endpointPath('/v2/library/redis/tags/list?n=1', 'docker.io', undefined)).toBe('/v2/library/redis/tags/list?n=1&ns=docker.io');
    expect(endpointPath('/v2/r/manifests/7', '127.0.0.1:5000', undefined)).toBe('/v2/r/manifests/7?ns=127.0.0.1%3A5000');
  });
});
