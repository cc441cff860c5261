/** Why a request left an endpoint for the next one. */
export type FallbackReason =
  /** No answer: refused, reset, timed out, its circuit open, no token. */
  | 'error'
  /** An answer the next endpoint may do better on: 5xx, 429, and 401/403/404 on all but the last. */
  | 'status'
  /** The body broke off mid-way; the rest came from the next endpoint with `Range`. */
  | 'body'
  /** The body did not verify (digest or size): its circuit opens. */
  | 'content';

/** What the endpoint chains report, labelled by registry and endpoint; kept as an interface so transport does not import metrics. */
export interface EndpointEvents {
  /** One exchange with an endpoint got an answer (`status`) or none (`'error'`). */
  answered(registry: string, endpoint: string, outcome: number | 'error'): void;
  /** Body bytes received from an endpoint. */
  bytes(registry: string, endpoint: string, bytes: number): void;
  fallback(registry: string, endpoint: string, reason: FallbackReason): void;
}

export const NO_ENDPOINT_EVENTS: EndpointEvents = { answered: () => undefined, bytes: () => undefined, fallback: () => undefined };
