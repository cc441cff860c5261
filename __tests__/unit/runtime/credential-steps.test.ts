import { defaultCatalog } from '../../../lib/catalog';
import { compileRunmd } from '../../../lib/runmd/compile';
import type { MirrorConfig } from '../../../lib/runmd/config';
import { parseRunmd } from '../../../lib/runmd/parse';
import { acrTarget, credentialFileFor, installTargets } from '../../../lib/runtime/credential-steps';

const compile = (runtime: string, login = 'access_token'): MirrorConfig =>
  compileRunmd(parseRunmd(`\`\`\` start mirror\n+ .runtime\n${runtime}\n\n+ .proxy localhost:8578\n: .manifests get\n:   .login ${login}\n:   .resolve\n\`\`\`\n`, 'm.runmd'), defaultCatalog);
const step = (config: MirrorConfig, name: string) => config.events[0]!.steps.find((s) => s.name === name)!;

describe('.login-acr and .install', () => {
  it('completes a bare registry name with azurecr.io and uses the declared origin', () => {
    const config = compile(': .login-acr example\n: .install creds\n: .mirror example.azurecr.io');
    expect(acrTarget(step(config, 'login-acr'), config)).toEqual({ name: 'example', host: 'example.azurecr.io', origin: 'https://example.azurecr.io' });
    expect(credentialFileFor(step(config, 'login-acr'), config)).toBe('creds');
    expect(installTargets(step(config, 'install'), config)).toEqual(['example.azurecr.io']);
  });

  it('honours .suffix and takes the file name from .login when no .install follows', () => {
    const config = compile(': .login-acr example\n: .suffix azurecr.cn\n: .mirror example.azurecr.cn', 'token_file');
    expect(acrTarget(step(config, 'login-acr'), config).host).toBe('example.azurecr.cn');
    expect(credentialFileFor(step(config, 'login-acr'), config)).toBe('token_file');
  });

  it('logs in to a plain-HTTP registry at the origin its .mirror declares', () => {
    const config = compile(': .login-acr http://127.0.0.1:5000\n: .mirror http://127.0.0.1:5000');
    expect(acrTarget(step(config, 'login-acr'), config)).toEqual({ name: '127.0.0.1:5000', host: '127.0.0.1:5000', origin: 'http://127.0.0.1:5000' });
  });

  it.each([
    [': .login-acr\n: .mirror a.example', /needs the registry name/],
    [': .login-acr example\n: .source cli\n: .mirror a.example', /"az" .* or "msi"/],
    [': .install\n: .mirror a.example', /needs the credential file/],
    [': .install ../escape\n: .mirror a.example', /file name in the mirror's home/],
    [': .login-acr example\n: .sorce az\n: .mirror a.example', /unknown step ".sorce" \(did you mean ".source"\?\)/],
  ])('rejects %j when the config is compiled', (runtime, message) => {
    expect(() => compile(runtime)).toThrow(message);
  });
});
