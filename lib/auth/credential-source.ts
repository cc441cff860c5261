import path from 'node:path';

/** Where `.login` takes a registry's credentials from. */
export type CredentialSource =
  /** A credential file: a bare name lives in the registry's own directory (`<home>/.world/<host>/<name>`). */
  | { kind: 'file'; file: string }
  /** Docker's `config.json` (`auths`, `credHelpers`, `credsStore`); the user's own when `file` is absent. */
  | { kind: 'docker'; file?: string }
  /** A username and password from the environment variables named here (secrets stay out of the config file). */
  | { kind: 'env'; usernameVar: string; passwordVar: string };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses a `.login` input: `<file>`, `docker [<config.json>]` or
 * `env <USERNAME_VAR> <PASSWORD_VAR>`.
 *
 * @throws Error with the expected forms when the input fits none.
 */
export function parseCredentialSource(input: string): CredentialSource {
  const words = input.trim().split(/\s+/).filter((w) => w !== '');
  const [first, ...rest] = words;
  if (first === undefined) throw new Error('.login needs a credential: a file name (e.g. access_token), "docker" or "env USER_VAR PASSWORD_VAR"');
  if (first === 'docker' && rest.length <= 1) return { kind: 'docker', file: rest[0] };
  if (first === 'env') {
    const [usernameVar, passwordVar] = rest;
    if (rest.length !== 2 || !usernameVar || !passwordVar || !ENV_NAME.test(usernameVar) || !ENV_NAME.test(passwordVar)) {
      throw new Error('.login env takes two environment variable names: ".login env REGISTRY_USER REGISTRY_PASSWORD"');
    }
    return { kind: 'env', usernameVar, passwordVar };
  }
  if (rest.length > 0) throw new Error(`.login takes one credential file name, found "${input.trim()}"`);
  if (!path.isAbsolute(first) && (first.includes('/') || first === '.' || first === '..')) {
    throw new Error(`credential file "${first}" must be a bare name (kept under .world/<registry>/) or an absolute path`);
  }
  return { kind: 'file', file: first };
}

/** The directory that holds one registry's credential files: `<home>/.world/<host>`. */
export function registryDir(home: string, host: string): string {
  return path.join(home, '.world', host);
}
