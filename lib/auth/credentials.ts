/** Credentials for one upstream registry, set by `.login`. */
export interface Credentials {
  /** The registry host these belong to; never used for another. */
  registry: string;
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (ACR, `identitytoken` in Docker's config.json). */
  refreshToken?: string;
}
