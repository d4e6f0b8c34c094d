/**
 * The one place the frontend talks HTTP: `requestAPI<T>` calls `<base_url>/nb-registry/api/<endPoint>`
 * through Jupyter's ServerConnection, which adds the auth token and the XSRF header for writes.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
/** An error answered by the server: `{"error": "...", "status": N}`. */
export class RegistryAPIError extends Error {
    constructor(message, status) {
        super(message);
        this.status = status;
        this.name = 'RegistryAPIError';
    }
}
/** Encode path segments (names, aliases) so `/` or `:` in them cannot change the route. */
export function apiPath(...segments) {
    return segments.map(encodeURIComponent).join('/');
}
/**
 * Call the REST API and parse its JSON answer.
 *
 * @param endPoint - path under `nb-registry/api/`, already encoded (see `apiPath`)
 * @param init - fetch options; a `body` object is sent as JSON
 * @param query - query parameters; undefined, null and '' values are left out
 */
export async function requestAPI(endPoint, init = {}, query = {}) {
    const settings = ServerConnection.makeSettings();
    const params = {};
    for (const [key, value] of Object.entries(query)) {
        if (value !== undefined && value !== null && value !== '') {
            params[key] = String(value);
        }
    }
    const url = URLExt.join(settings.baseUrl, 'nb-registry', 'api', endPoint) +
        URLExt.objectToQueryString(params);
    const { body, ...rest } = init;
    const request = { ...rest };
    if (body !== undefined) {
        request.body = JSON.stringify(body);
        request.headers = { 'Content-Type': 'application/json', ...(rest.headers ?? {}) };
    }
    let response;
    try {
        response = await ServerConnection.makeRequest(url, request, settings);
    }
    catch (error) {
        throw new ServerConnection.NetworkError(error);
    }
    const text = await response.text();
    let data = text;
    if (text.length > 0) {
        try {
            data = JSON.parse(text);
        }
        catch {
            // not JSON (e.g. an HTML error page from a proxy): keep the text for the message
        }
    }
    if (!response.ok) {
        const message = (data && typeof data === 'object' && (data.error ?? data.message)) ||
            `${response.status} ${response.statusText}`;
        throw new RegistryAPIError(String(message), response.status);
    }
    return data;
}
