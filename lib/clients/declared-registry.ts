/** A registry the mirror declares, as a client configuration needs it. */
export interface DeclaredRegistry {
  /** As clients name it: `docker.io`, `127.0.0.1:5000`. */
  host: string;
  /** Where the mirror sends its requests: `https://registry-1.docker.io`, `http://127.0.0.1:5000`. */
  origin: string;
}
