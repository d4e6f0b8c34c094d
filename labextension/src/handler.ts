/**
 * The one place the frontend talks HTTP: `requestAPI<T>` calls `<base_url>/nb-registry/api/<endPoint>`
 * through Jupyter's ServerConnection, which adds the auth token and the XSRF header for writes.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** An error answered by the server: `{"error": "...", "status": N}`. */
export class RegistryAPIError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'RegistryAPIError';
  }
}

export type Query = Record<string, string | number | undefined | null>;

/** Encode path segments (names, aliases) so `/` or `:` in them cannot change the route. */
export function apiPath(...segments: string[]): string {
  return segments.map(encodeURIComponent).join('/');
}

/**
 * Call the REST API and parse its JSON answer.
 *
 * @param endPoint - path under `nb-registry/api/`, already encoded (see `apiPath`)
 * @param init - fetch options; a `body` object is sent as JSON
 * @param query - query parameters; undefined, null and '' values are left out
 */
export async function requestAPI<T>(
  endPoint: string,
  init: Omit<RequestInit, 'body'> & { body?: unknown } = {},
  query: Query = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') {
      params[key] = String(value);
    }
  }
  const url =
    URLExt.join(settings.baseUrl, 'nb-registry', 'api', endPoint) +
    URLExt.objectToQueryString(params);
  const { body, ...rest } = init;
  const request: RequestInit = { ...rest };
  if (body !== undefined) {
    request.body = JSON.stringify(body);
    request.headers = { 'Content-Type': 'application/json', ...(rest.headers ?? {}) };
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, request, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let data: any = text;
  let parsed = text.length === 0;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
      parsed = true;
    } catch {
      // not JSON (e.g. an HTML error page from a proxy): keep the text for the message
    }
  }
  if (!response.ok) {
    const message =
      (data && typeof data === 'object' && (data.error ?? data.message)) ||
      `${response.status} ${response.statusText}`;
    throw new RegistryAPIError(String(message), response.status);
  }
  if (!parsed) {
    // a success whose body is not JSON is an error too: never hand raw text to a view as data
    throw new RegistryAPIError(
      `the server answered ${endPoint} with something that is not JSON: ${text.slice(0, 120)}`,
      response.status
    );
  }
  return data as T;
}
