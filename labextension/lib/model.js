/**
 * RegistryModel: the state shared by the sidebar and the pages (status, registered models, last
 * error) and a signal when the registry changed. It polls `status.generation` every few seconds
 * while something is visible. No DOM here, and no registry logic: every answer comes from the server.
 */
import { Poll } from '@lumino/polling';
import { Signal } from '@lumino/signaling';
import { apiPath, requestAPI } from './handler';
/** The notebook line that loads a registered model: `%use model-registry/NAME:ALIAS`. */
export function useLine(name, selector) {
    return `%use model-registry/${name}:${selector}`;
}
export class RegistryModel {
    constructor(options = {}) {
        this._status = null;
        this._models = [];
        this._error = null;
        this._changed = new Signal(this);
        const isActive = options.isActive ?? (() => true);
        this._poll = new Poll({
            auto: true,
            factory: () => this.refresh(),
            frequency: { interval: options.interval ?? 3000, backoff: true, max: 30000 },
            name: 'nb-registry:status',
            standby: () => (isActive() ? 'when-hidden' : true)
        });
    }
    get status() {
        return this._status;
    }
    get models() {
        return this._models;
    }
    get error() {
        return this._error;
    }
    get changed() {
        return this._changed;
    }
    get isDisposed() {
        return this._poll.isDisposed;
    }
    /** Poll now (e.g. when a view becomes visible) instead of waiting for the next tick. */
    wake() {
        void this._poll.refresh();
    }
    dispose() {
        this._poll.dispose();
        Signal.clearData(this);
    }
    /**
     * Read `status`; when its generation moved (or `force`), reload the model list and emit `changed`.
     * Errors are kept in `error` (and rethrown, so the poll backs off).
     */
    async refresh(force = false) {
        try {
            const status = await requestAPI('status');
            const moved = this._status?.generation !== status.generation;
            this._status = status;
            if (moved || force || this._error !== null) {
                const { models } = await requestAPI('models');
                this._models = models;
                this._error = null;
                this._changed.emit();
            }
        }
        catch (error) {
            const message = error.message ?? String(error);
            if (message !== this._error) {
                this._error = message;
                this._changed.emit();
            }
            throw error;
        }
    }
    async listModels(tag, search) {
        const answer = await requestAPI('models', {}, { tag, search });
        return answer.models;
    }
    getModel(name) {
        return requestAPI(apiPath('models', name));
    }
    updateModel(name, patch) {
        return this._write(requestAPI(apiPath('models', name), { method: 'PATCH', body: patch }));
    }
    moveAlias(name, alias, version) {
        const path = apiPath('models', name, 'aliases', alias);
        return this._write(requestAPI(path, { method: 'PUT', body: { version } }));
    }
    removeAlias(name, alias) {
        const path = apiPath('models', name, 'aliases', alias);
        return this._write(requestAPI(path, { method: 'DELETE' }));
    }
    link(name, artifact, aliases) {
        const path = apiPath('models', name, 'links');
        return this._write(requestAPI(path, { method: 'POST', body: { artifact, aliases } }));
    }
    async collections(project, type) {
        const answer = await requestAPI('artifacts', {}, { project, type });
        return answer.collections;
    }
    versions(project, name, query = {}) {
        return requestAPI(apiPath('artifacts', project, name, 'versions'), {}, { ...query });
    }
    version(project, name, version) {
        return requestAPI(apiPath('artifacts', project, name, 'versions', version));
    }
    setArtifactAlias(project, name, alias, version) {
        const path = apiPath('artifacts', project, name, 'aliases', alias);
        return this._write(requestAPI(path, { method: 'PUT', body: { version } }));
    }
    runs(query = {}) {
        const filters = query.filters ? JSON.stringify(query.filters) : undefined;
        return requestAPI('runs', {}, { ...query, filters });
    }
    lineage(spec, direction = 'both', depth) {
        return requestAPI('lineage', {}, { spec, direction, depth });
    }
    diff(a, b) {
        return requestAPI('diff', {}, { a, b });
    }
    /** After a write, refresh at once so every view shows the change without waiting for the poll. */
    async _write(request) {
        const result = await request;
        await this.refresh(true).catch(() => undefined);
        return result;
    }
}
