/** An error answered by the server: `{"error": "...", "status": N}`. */
export declare class RegistryAPIError extends Error {
    readonly status: number;
    constructor(message: string, status: number);
}
export type Query = Record<string, string | number | undefined | null>;
/** Encode path segments (names, aliases) so `/` or `:` in them cannot change the route. */
export declare function apiPath(...segments: string[]): string;
/**
 * Call the REST API and parse its JSON answer.
 *
 * @param endPoint - path under `nb-registry/api/`, already encoded (see `apiPath`)
 * @param init - fetch options; a `body` object is sent as JSON
 * @param query - query parameters; undefined, null and '' values are left out
 */
export declare function requestAPI<T>(endPoint: string, init?: Omit<RequestInit, 'body'> & {
    body?: unknown;
}, query?: Query): Promise<T>;
