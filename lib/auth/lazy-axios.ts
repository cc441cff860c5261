import type { AxiosStatic } from 'axios';

/**
 * axios, loaded the first time a token endpoint (or Azure) is asked. Most of
 * a mirror's life needs no new token, and axios with what it pulls in
 * (form-data, get-intrinsic, follow-redirects, proxy agents) costs about
 * 4 MB of heap and 2 MB of mapped code in an idle process that never uses it.
 * Node caches the module: every later call gets the same instance at once.
 */
export async function loadAxios(): Promise<AxiosStatic> {
  return (await import('axios')).default;
}
