"use strict";
(self["rspackChunknb_registry"] = self["rspackChunknb_registry"] || []).push([["lib_index_js"], {
"./lib/handler.js"(__unused_rspack_module, __webpack_exports__, __webpack_require__) {
__webpack_require__.r(__webpack_exports__);
__webpack_require__.d(__webpack_exports__, {
  RegistryAPIError: () => (RegistryAPIError),
  apiPath: () => (apiPath),
  requestAPI: () => (requestAPI)
});
/* import */ var _jupyterlab_coreutils__rspack_import_0 = __webpack_require__("webpack/sharing/consume/default/@jupyterlab/coreutils");
/* import */ var _jupyterlab_coreutils__rspack_import_0_default = /*#__PURE__*/__webpack_require__.n(_jupyterlab_coreutils__rspack_import_0);
/* import */ var _jupyterlab_services__rspack_import_1 = __webpack_require__("webpack/sharing/consume/default/@jupyterlab/services");
/* import */ var _jupyterlab_services__rspack_import_1_default = /*#__PURE__*/__webpack_require__.n(_jupyterlab_services__rspack_import_1);
/**
 * The one place the frontend talks HTTP: `requestAPI<T>` calls `<base_url>/nb-registry/api/<endPoint>`
 * through Jupyter's ServerConnection, which adds the auth token and the XSRF header for writes.
 */


/** An error answered by the server: `{"error": "...", "status": N}`. */
class RegistryAPIError extends Error {
    constructor(message, status) {
        super(message);
        this.status = status;
        this.name = 'RegistryAPIError';
    }
}
/** Encode path segments (names, aliases) so `/` or `:` in them cannot change the route. */
function apiPath(...segments) {
    return segments.map(encodeURIComponent).join('/');
}
/**
 * Call the REST API and parse its JSON answer.
 *
 * @param endPoint - path under `nb-registry/api/`, already encoded (see `apiPath`)
 * @param init - fetch options; a `body` object is sent as JSON
 * @param query - query parameters; undefined, null and '' values are left out
 */
async function requestAPI(endPoint, init = {}, query = {}) {
    const settings = _jupyterlab_services__rspack_import_1.ServerConnection.makeSettings();
    const params = {};
    for (const [key, value] of Object.entries(query)) {
        if (value !== undefined && value !== null && value !== '') {
            params[key] = String(value);
        }
    }
    const url = _jupyterlab_coreutils__rspack_import_0.URLExt.join(settings.baseUrl, 'nb-registry', 'api', endPoint) +
        _jupyterlab_coreutils__rspack_import_0.URLExt.objectToQueryString(params);
    const { body, ...rest } = init;
    const request = { ...rest };
    if (body !== undefined) {
        request.body = JSON.stringify(body);
        request.headers = { 'Content-Type': 'application/json', ...(rest.headers ?? {}) };
    }
    let response;
    try {
        response = await _jupyterlab_services__rspack_import_1.ServerConnection.makeRequest(url, request, settings);
    }
    catch (error) {
        throw new _jupyterlab_services__rspack_import_1.ServerConnection.NetworkError(error);
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


},
"./lib/index.js"(__unused_rspack_module, __webpack_exports__, __webpack_require__) {
__webpack_require__.r(__webpack_exports__);
__webpack_require__.d(__webpack_exports__, {
  IRegistryModel: () => (/* reexport safe */ _tokens__rspack_import_6.IRegistryModel),
  "default": () => (__rspack_default_export),
  registryIcon: () => (registryIcon)
});
/* import */ var _jupyterlab_application__rspack_import_0 = __webpack_require__("webpack/sharing/consume/default/@jupyterlab/application");
/* import */ var _jupyterlab_application__rspack_import_0_default = /*#__PURE__*/__webpack_require__.n(_jupyterlab_application__rspack_import_0);
/* import */ var _jupyterlab_apputils__rspack_import_1 = __webpack_require__("webpack/sharing/consume/default/@jupyterlab/apputils");
/* import */ var _jupyterlab_apputils__rspack_import_1_default = /*#__PURE__*/__webpack_require__.n(_jupyterlab_apputils__rspack_import_1);
/* import */ var _jupyterlab_notebook__rspack_import_2 = __webpack_require__("webpack/sharing/consume/default/@jupyterlab/notebook");
/* import */ var _jupyterlab_notebook__rspack_import_2_default = /*#__PURE__*/__webpack_require__.n(_jupyterlab_notebook__rspack_import_2);
/* import */ var _jupyterlab_rendermime__rspack_import_3 = __webpack_require__("webpack/sharing/consume/default/@jupyterlab/rendermime");
/* import */ var _jupyterlab_rendermime__rspack_import_3_default = /*#__PURE__*/__webpack_require__.n(_jupyterlab_rendermime__rspack_import_3);
/* import */ var _jupyterlab_ui_components__rspack_import_4 = __webpack_require__("webpack/sharing/consume/default/@jupyterlab/ui-components");
/* import */ var _jupyterlab_ui_components__rspack_import_4_default = /*#__PURE__*/__webpack_require__.n(_jupyterlab_ui_components__rspack_import_4);
/* import */ var _lumino_widgets__rspack_import_5 = __webpack_require__("webpack/sharing/consume/default/@lumino/widgets");
/* import */ var _lumino_widgets__rspack_import_5_default = /*#__PURE__*/__webpack_require__.n(_lumino_widgets__rspack_import_5);
/* import */ var _model__rspack_import_7 = __webpack_require__("./lib/model.js");
/* import */ var _tokens__rspack_import_6 = __webpack_require__("./lib/tokens.js");
/* import */ var _widgets_collectionPage__rspack_import_9 = __webpack_require__("./lib/widgets/collectionPage.js");
/* import */ var _widgets_lineageView__rspack_import_11 = __webpack_require__("./lib/widgets/lineageView.js");
/* import */ var _widgets_modelPage__rspack_import_8 = __webpack_require__("./lib/widgets/modelPage.js");
/* import */ var _widgets_runsPage__rspack_import_10 = __webpack_require__("./lib/widgets/runsPage.js");
/* import */ var _widgets_sidebar__rspack_import_12 = __webpack_require__("./lib/widgets/sidebar.js");
/**
 * nb-registry: the Model Registry sidebar of JupyterLab. This file only wires the panels to the
 * application (shell, commands, clipboard, notebooks, Markdown rendering); see widgets/ and model.ts.
 */













const registryIcon = new _jupyterlab_ui_components__rspack_import_4.LabIcon({
    name: 'nb-registry:registry',
    svgstr: '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
        '<path d="M12 2 3 6.5v11L12 22l9-4.5v-11L12 2zm0 2.2 6.6 3.3L12 10.8 5.4 7.5 12 4.2zM5 9.1l6 3v7.6l-6-3V9.1zm8 10.6v-7.6l6-3v7.6l-6 3z"/>' +
        '</g></svg>'
});
var CommandIDs;
(function (CommandIDs) {
    CommandIDs.open = 'nb-registry:open';
    CommandIDs.openRuns = 'nb-registry:open-runs';
    CommandIDs.openLineage = 'nb-registry:open-lineage';
})(CommandIDs || (CommandIDs = {}));
function activate(app, tracker, rendermime, palette, restorer) {
    const pages = new Map();
    let sidebar;
    const isActive = () => !!sidebar?.isVisible || [...pages.values()].some(w => w.isVisible);
    const model = new _model__rspack_import_7.RegistryModel({ interval: 3000, isActive });
    /** Show a main-area page, reusing the open one with the same id. */
    function show(id, create) {
        let page = pages.get(id);
        if (!page || page.isDisposed) {
            page = create();
            page.title.icon = registryIcon;
            pages.set(id, page);
            page.disposed.connect(() => pages.delete(id));
            app.shell.add(page, 'main');
        }
        app.shell.activateById(page.id);
        return page;
    }
    const actions = {
        openModel: name => void show(`nbr-model-${name}`, () => new _widgets_modelPage__rspack_import_8.ModelPage(model, actions, name)),
        openCollection: (project, name, version) => {
            const page = show(`nbr-collection-${project}-${name}`, () => new _widgets_collectionPage__rspack_import_9.CollectionPage(model, actions, project, name));
            if (version) {
                void page.selectVersion(version);
            }
        },
        openRuns: project => {
            const existing = pages.has('nbr-runs');
            const page = show('nbr-runs', () => new _widgets_runsPage__rspack_import_10.RunsPage(model, project));
            if (existing) {
                page.setProject(project);
            }
        },
        openLineage: spec => {
            const existing = pages.has('nbr-lineage');
            const page = show('nbr-lineage', () => new _widgets_lineageView__rspack_import_11.LineageView(model, actions, spec));
            if (existing && spec) {
                page.setSpec(spec);
            }
        },
        copy: text => _jupyterlab_apputils__rspack_import_1.Clipboard.copyToSystem(text),
        insertIntoNotebook: async (line) => {
            const panel = tracker?.currentWidget;
            if (!panel) {
                throw new Error('Open a notebook first: the line goes below its active cell.');
            }
            await panel.context.ready;
            const notebook = panel.content;
            const active = notebook.activeCell;
            if (!(active && active.model.type === 'code' && active.model.sharedModel.getSource().trim() === '')) {
                _jupyterlab_notebook__rspack_import_2.NotebookActions.insertBelow(notebook);
                _jupyterlab_notebook__rspack_import_2.NotebookActions.changeCellType(notebook, 'code');
            }
            notebook.activeCell?.model.sharedModel.setSource(line);
            app.shell.activateById(panel.id);
        },
        renderMarkdown: async (source, host) => {
            if (!rendermime) {
                host.replaceChildren(Object.assign(document.createElement('pre'), { textContent: source }));
                return;
            }
            const renderer = rendermime.createRenderer('text/markdown');
            await renderer.renderModel(new _jupyterlab_rendermime__rspack_import_3.MimeModel({ data: { 'text/markdown': source }, trusted: false }));
            host.replaceChildren();
            if (host.isConnected) {
                _lumino_widgets__rspack_import_5.Widget.attach(renderer, host);
            }
            else {
                host.append(renderer.node);
            }
        }
    };
    sidebar = new _widgets_sidebar__rspack_import_12.RegistrySidebar(model, actions);
    sidebar.id = 'nb-registry-sidebar';
    sidebar.title.icon = registryIcon;
    app.shell.add(sidebar, 'left', { rank: 1000 });
    restorer?.add(sidebar, 'nb-registry-sidebar');
    app.commands.addCommand(CommandIDs.open, {
        label: 'Open Model Registry',
        icon: registryIcon,
        execute: () => app.shell.activateById('nb-registry-sidebar')
    });
    app.commands.addCommand(CommandIDs.openRuns, {
        label: 'Model Registry: Runs Table',
        execute: args => actions.openRuns(args.project)
    });
    app.commands.addCommand(CommandIDs.openLineage, {
        label: 'Model Registry: Lineage Graph',
        execute: args => actions.openLineage(args.spec ?? '')
    });
    for (const command of [CommandIDs.open, CommandIDs.openRuns, CommandIDs.openLineage]) {
        palette?.addItem({ command, category: 'Model Registry' });
    }
    return model;
}
const plugin = {
    id: 'nb-registry:plugin',
    description: 'A Model Registry sidebar over the nb_registry server extension.',
    autoStart: true,
    provides: _tokens__rspack_import_6.IRegistryModel,
    optional: [_jupyterlab_notebook__rspack_import_2.INotebookTracker, _jupyterlab_rendermime__rspack_import_3.IRenderMimeRegistry, _jupyterlab_apputils__rspack_import_1.ICommandPalette, _jupyterlab_application__rspack_import_0.ILayoutRestorer],
    activate
};
/* export default */ const __rspack_default_export = (plugin);



},
"./lib/model.js"(__unused_rspack_module, __webpack_exports__, __webpack_require__) {
__webpack_require__.r(__webpack_exports__);
__webpack_require__.d(__webpack_exports__, {
  RegistryModel: () => (RegistryModel),
  useLine: () => (useLine)
});
/* import */ var _lumino_polling__rspack_import_0 = __webpack_require__("webpack/sharing/consume/default/@lumino/polling");
/* import */ var _lumino_polling__rspack_import_0_default = /*#__PURE__*/__webpack_require__.n(_lumino_polling__rspack_import_0);
/* import */ var _lumino_signaling__rspack_import_1 = __webpack_require__("webpack/sharing/consume/default/@lumino/signaling");
/* import */ var _lumino_signaling__rspack_import_1_default = /*#__PURE__*/__webpack_require__.n(_lumino_signaling__rspack_import_1);
/* import */ var _handler__rspack_import_2 = __webpack_require__("./lib/handler.js");
/**
 * RegistryModel: the state shared by the sidebar and the pages (status, registered models, last
 * error) and a signal when the registry changed. It polls `status.generation` every few seconds
 * while something is visible. No DOM here, and no registry logic: every answer comes from the server.
 */



/** The notebook line that loads a registered model: `%use model-registry/NAME:ALIAS`. */
function useLine(name, selector) {
    return `%use model-registry/${name}:${selector}`;
}
class RegistryModel {
    constructor(options = {}) {
        this._status = null;
        this._models = [];
        this._error = null;
        this._changed = new _lumino_signaling__rspack_import_1.Signal(this);
        const isActive = options.isActive ?? (() => true);
        this._poll = new _lumino_polling__rspack_import_0.Poll({
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
        _lumino_signaling__rspack_import_1.Signal.clearData(this);
    }
    /**
     * Read `status`; when its generation moved (or `force`), reload the model list and emit `changed`.
     * Errors are kept in `error` (and rethrown, so the poll backs off).
     */
    async refresh(force = false) {
        try {
            const status = await (0,_handler__rspack_import_2.requestAPI)('status');
            const moved = this._status?.generation !== status.generation;
            this._status = status;
            if (moved || force || this._error !== null) {
                const { models } = await (0,_handler__rspack_import_2.requestAPI)('models');
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
        const answer = await (0,_handler__rspack_import_2.requestAPI)('models', {}, { tag, search });
        return answer.models;
    }
    getModel(name) {
        return (0,_handler__rspack_import_2.requestAPI)((0,_handler__rspack_import_2.apiPath)('models', name));
    }
    updateModel(name, patch) {
        return this._write((0,_handler__rspack_import_2.requestAPI)((0,_handler__rspack_import_2.apiPath)('models', name), { method: 'PATCH', body: patch }));
    }
    moveAlias(name, alias, version) {
        const path = (0,_handler__rspack_import_2.apiPath)('models', name, 'aliases', alias);
        return this._write((0,_handler__rspack_import_2.requestAPI)(path, { method: 'PUT', body: { version } }));
    }
    removeAlias(name, alias) {
        const path = (0,_handler__rspack_import_2.apiPath)('models', name, 'aliases', alias);
        return this._write((0,_handler__rspack_import_2.requestAPI)(path, { method: 'DELETE' }));
    }
    link(name, artifact, aliases) {
        const path = (0,_handler__rspack_import_2.apiPath)('models', name, 'links');
        return this._write((0,_handler__rspack_import_2.requestAPI)(path, { method: 'POST', body: { artifact, aliases } }));
    }
    async collections(project, type) {
        const answer = await (0,_handler__rspack_import_2.requestAPI)('artifacts', {}, { project, type });
        return answer.collections;
    }
    versions(project, name, query = {}) {
        return (0,_handler__rspack_import_2.requestAPI)((0,_handler__rspack_import_2.apiPath)('artifacts', project, name, 'versions'), {}, { ...query });
    }
    version(project, name, version) {
        return (0,_handler__rspack_import_2.requestAPI)((0,_handler__rspack_import_2.apiPath)('artifacts', project, name, 'versions', version));
    }
    setArtifactAlias(project, name, alias, version) {
        const path = (0,_handler__rspack_import_2.apiPath)('artifacts', project, name, 'aliases', alias);
        return this._write((0,_handler__rspack_import_2.requestAPI)(path, { method: 'PUT', body: { version } }));
    }
    runs(query = {}) {
        const filters = query.filters ? JSON.stringify(query.filters) : undefined;
        return (0,_handler__rspack_import_2.requestAPI)('runs', {}, { ...query, filters });
    }
    lineage(spec, direction = 'both', depth) {
        return (0,_handler__rspack_import_2.requestAPI)('lineage', {}, { spec, direction, depth });
    }
    diff(a, b) {
        return (0,_handler__rspack_import_2.requestAPI)('diff', {}, { a, b });
    }
    /** After a write, refresh at once so every view shows the change without waiting for the poll. */
    async _write(request) {
        const result = await request;
        await this.refresh(true).catch(() => undefined);
        return result;
    }
}


},
"./lib/tokens.js"(__unused_rspack_module, __webpack_exports__, __webpack_require__) {
__webpack_require__.r(__webpack_exports__);
__webpack_require__.d(__webpack_exports__, {
  IRegistryModel: () => (IRegistryModel)
});
/* import */ var _lumino_coreutils__rspack_import_0 = __webpack_require__("webpack/sharing/consume/default/@lumino/coreutils");
/* import */ var _lumino_coreutils__rspack_import_0_default = /*#__PURE__*/__webpack_require__.n(_lumino_coreutils__rspack_import_0);
/**
 * The JSON shapes of the nb_registry REST API (`<base_url>/nb-registry/api/`), mirrored one to one,
 * and the token under which the shared registry model is provided to other plugins.
 */

const IRegistryModel = new _lumino_coreutils__rspack_import_0.Token('nb-registry:IRegistryModel', 'The nb_registry model: registered models, artifacts, runs and lineage over the server REST API.');


},
"./lib/widgets/collectionPage.js"(__unused_rspack_module, __webpack_exports__, __webpack_require__) {
__webpack_require__.r(__webpack_exports__);
__webpack_require__.d(__webpack_exports__, {
  CollectionPage: () => (CollectionPage)
});
/* import */ var _lumino_widgets__rspack_import_0 = __webpack_require__("webpack/sharing/consume/default/@lumino/widgets");
/* import */ var _lumino_widgets__rspack_import_0_default = /*#__PURE__*/__webpack_require__.n(_lumino_widgets__rspack_import_0);
/* import */ var _dom__rspack_import_1 = __webpack_require__("./lib/widgets/dom.js");
/* import */ var _modelForms__rspack_import_2 = __webpack_require__("./lib/widgets/modelForms.js");



const PAGE = 20;
class CollectionPage extends _lumino_widgets__rspack_import_0.Widget {
    constructor(_model, _actions, project, collection) {
        super();
        this._model = _model;
        this._actions = _actions;
        this.project = project;
        this.collection = collection;
        this._offset = 0;
        this._page = [];
        this._selected = null;
        this._pager = (0,_dom__rspack_import_1.h)('span', { class: 'nbr-pager' });
        this._list = (0,_dom__rspack_import_1.h)('div', { class: 'nbr-section' });
        this._detail = (0,_dom__rspack_import_1.h)('div', { class: 'nbr-section nbr-version-detail', 'data-testid': 'nbr-version-detail' });
        this._message = new _modelForms__rspack_import_2.Message();
        this.id = `nbr-collection-${project}-${collection}`;
        this.title.label = `${collection}`;
        this.title.caption = `Artifact ${project}/${collection}`;
        this.title.closable = true;
        this.addClass('nbr-page');
        this.node.dataset.testid = 'nbr-collection-page';
        this._order = (0,_dom__rspack_import_1.select)([
            ['-created_at', 'Newest first'],
            ['created_at', 'Oldest first']
        ], { 'data-testid': 'nbr-order', onchange: () => this._go(0) });
        this.node.append((0,_dom__rspack_import_1.h)('header', { class: 'nbr-page-header' }, (0,_dom__rspack_import_1.h)('h2', {}, (0,_dom__rspack_import_1.h)('span', { class: 'nbr-kicker' }, `${project}/`), collection)), (0,_dom__rspack_import_1.h)('div', { class: 'nbr-form' }, (0,_dom__rspack_import_1.h)('label', {}, 'Order'), this._order, this._pager), this._list, this._detail, this._message.node);
        _model.changed.connect(() => void this._reload(), this);
        void this._go(0);
    }
    /** Show one version's detail (`v3`), loading it from the server. */
    async selectVersion(version) {
        this._selected = version;
        try {
            const detail = await this._model.version(this.project, this.collection, version);
            this._showDetail(detail);
        }
        catch (error) {
            this._detail.replaceChildren((0,_dom__rspack_import_1.h)('p', { class: 'nbr-error' }, (0,_dom__rspack_import_1.errorText)(error)));
        }
        for (const row of this._list.querySelectorAll('tr[data-version]')) {
            row.classList.toggle('nbr-mod-selected', row.dataset.version === version);
        }
    }
    onAfterShow(msg) {
        this._model.wake();
    }
    async _reload() {
        await this._go(this._offset);
        if (this._selected) {
            await this.selectVersion(this._selected);
        }
    }
    async _go(offset) {
        try {
            const page = await this._model.versions(this.project, this.collection, {
                limit: PAGE,
                offset,
                order: this._order.value
            });
            this._offset = offset;
            this._page = page.versions;
            this._list.replaceChildren(this._versionsTable(page.versions));
            this._showPager(page.total);
        }
        catch (error) {
            this._list.replaceChildren((0,_dom__rspack_import_1.h)('p', { class: 'nbr-error' }, (0,_dom__rspack_import_1.errorText)(error)));
        }
    }
    _showPager(total) {
        const last = Math.min(this._offset + PAGE, total);
        const button = (label, offset, enabled, testid) => (0,_dom__rspack_import_1.h)('button', { class: 'jp-mod-styled nbr-button nbr-small', disabled: !enabled, 'data-testid': testid, onclick: () => void this._go(offset) }, label);
        this._pager.replaceChildren(button('‹ Prev', Math.max(0, this._offset - PAGE), this._offset > 0, 'nbr-prev'), (0,_dom__rspack_import_1.h)('span', { class: 'nbr-count' }, total ? `${this._offset + 1}–${last} of ${total}` : '0 versions'), button('Next ›', this._offset + PAGE, last < total, 'nbr-next'));
    }
    _versionsTable(versions) {
        return (0,_dom__rspack_import_1.table)([
            { title: 'Version', cell: v => (0,_dom__rspack_import_1.h)('strong', {}, v.version) },
            { title: 'Aliases', cell: v => v.aliases.map(a => (0,_dom__rspack_import_1.chip)(a, 'alias')) },
            { title: 'Metadata', cell: v => (0,_dom__rspack_import_1.keyValues)(v.metadata), className: 'nbr-meta' },
            { title: 'Files', cell: v => String(v.files) },
            { title: 'Size', cell: v => (0,_dom__rspack_import_1.bytes)(v.size) },
            { title: 'Created', cell: v => [(0,_dom__rspack_import_1.when)(v.created_at), v.created_by ? ` by ${v.created_by}` : ''] },
            { title: 'Run', cell: v => v.run ?? '' }
        ], versions, {
            testid: 'nbr-artifact-versions',
            rowClass: 'nbr-artifact-version-row',
            rowAttrs: v => ({ 'data-version': v.version }),
            onRow: v => void this.selectVersion(v.version)
        });
    }
    _showDetail(d) {
        const spec = `${this.project}/${this.collection}:${d.version}`;
        const line = `%use ${spec}`;
        const aliasInput = (0,_dom__rspack_import_1.h)('input', { class: 'jp-mod-styled nbr-input', placeholder: 'alias', 'data-testid': 'nbr-artifact-alias' });
        const setAlias = async () => {
            try {
                await this._model.setArtifactAlias(this.project, this.collection, aliasInput.value.trim(), d.version);
                this._message.show(`${aliasInput.value.trim()} → ${d.version}`);
            }
            catch (error) {
                this._message.show((0,_dom__rspack_import_1.errorText)(error), 'error');
            }
        };
        const others = this._page.filter(v => v.version !== d.version).map(v => v.version);
        const against = (0,_dom__rspack_import_1.select)(others, { 'data-testid': 'nbr-diff-select' });
        const diffHost = (0,_dom__rspack_import_1.h)('div', { class: 'nbr-diff' });
        const diff = async () => {
            try {
                diffHost.replaceChildren(this._diffView(await this._model.diff(`${this.project}/${this.collection}:${against.value}`, spec)));
            }
            catch (error) {
                diffHost.replaceChildren((0,_dom__rspack_import_1.h)('p', { class: 'nbr-error' }, (0,_dom__rspack_import_1.errorText)(error)));
            }
        };
        const button = (label, onclick, testid) => (0,_dom__rspack_import_1.h)('button', { class: 'jp-mod-styled nbr-button', onclick, 'data-testid': testid }, label);
        (0,_dom__rspack_import_1.fill)(this._detail, (0,_dom__rspack_import_1.h)('h3', {}, spec, ' ', d.aliases.map(a => (0,_dom__rspack_import_1.chip)(a, 'alias'))), (0,_dom__rspack_import_1.h)('dl', { class: 'nbr-facts' }, (0,_dom__rspack_import_1.h)('dt', {}, 'Digest'), (0,_dom__rspack_import_1.h)('dd', {}, (0,_dom__rspack_import_1.h)('code', {}, d.digest)), (0,_dom__rspack_import_1.h)('dt', {}, 'Size'), (0,_dom__rspack_import_1.h)('dd', {}, `${(0,_dom__rspack_import_1.bytes)(d.size)} in ${d.files} file(s)`), (0,_dom__rspack_import_1.h)('dt', {}, 'Created'), (0,_dom__rspack_import_1.h)('dd', {}, (0,_dom__rspack_import_1.when)(d.created_at), d.created_by ? ` by ${d.created_by}` : ''), (0,_dom__rspack_import_1.h)('dt', {}, 'Produced by'), (0,_dom__rspack_import_1.h)('dd', {}, d.producer ?? '—'), (0,_dom__rspack_import_1.h)('dt', {}, 'Used by'), (0,_dom__rspack_import_1.h)('dd', {}, d.used_by.length ? d.used_by.join(', ') : '—')), (0,_dom__rspack_import_1.h)('div', { class: 'nbr-form' }, (0,_dom__rspack_import_1.h)('code', { class: 'nbr-use-line' }, line), button('Copy', () => this._actions.copy(line)), button('Insert into notebook', () => void this._actions.insertIntoNotebook(line).catch(e => this._message.show((0,_dom__rspack_import_1.errorText)(e), 'error'))), button('Lineage', () => this._actions.openLineage(spec), 'nbr-artifact-lineage')), (0,_dom__rspack_import_1.h)('div', { class: 'nbr-form' }, (0,_dom__rspack_import_1.h)('label', {}, 'Alias'), aliasInput, button('Set alias', () => void setAlias())), others.length ? (0,_dom__rspack_import_1.h)('div', { class: 'nbr-form' }, (0,_dom__rspack_import_1.h)('label', {}, 'Diff from'), against, button('Diff', () => void diff())) : null, diffHost, (0,_dom__rspack_import_1.section)('Metadata', 'nbr-metadata', (0,_dom__rspack_import_1.table)([
            { title: 'Key', cell: ([k]) => k },
            { title: 'Value', cell: ([, v]) => (0,_dom__rspack_import_1.short)(v) }
        ], Object.entries(d.metadata))), (0,_dom__rspack_import_1.section)(`Files (${d.entries.length})`, 'nbr-files', (0,_dom__rspack_import_1.table)([
            { title: 'Path', cell: e => e.path },
            { title: 'Size', cell: e => (0,_dom__rspack_import_1.bytes)(e.size) },
            { title: 'Digest', cell: e => (0,_dom__rspack_import_1.h)('code', { title: e.digest }, e.digest.slice(0, 12)) },
            { title: 'Reference', cell: e => e.ref ?? '' }
        ], d.entries)));
    }
    _diffView(d) {
        const list = (title, names) => names.length ? (0,_dom__rspack_import_1.h)('div', {}, (0,_dom__rspack_import_1.h)('strong', {}, `${title}: `), names.join(', ')) : null;
        const meta = Object.entries(d.metadata).map(([k, c]) => `${k}: ${(0,_dom__rspack_import_1.short)(c.from)} → ${(0,_dom__rspack_import_1.short)(c.to)}`);
        return (0,_dom__rspack_import_1.h)('div', { 'data-testid': 'nbr-diff' }, (0,_dom__rspack_import_1.h)('div', {}, `${d.from} → ${d.to}`), list('Added', d.added), list('Removed', d.removed), list('Changed', d.changed), list('Metadata', meta), d.added.length + d.removed.length + d.changed.length + meta.length === 0 ? (0,_dom__rspack_import_1.h)('div', {}, 'No differences.') : null);
    }
}


},
"./lib/widgets/dom.js"(__unused_rspack_module, __webpack_exports__, __webpack_require__) {
__webpack_require__.r(__webpack_exports__);
__webpack_require__.d(__webpack_exports__, {
  bytes: () => (bytes),
  chip: () => (chip),
  errorText: () => (errorText),
  fill: () => (fill),
  h: () => (h),
  keyValues: () => (keyValues),
  section: () => (section),
  select: () => (select),
  short: () => (short),
  table: () => (table),
  when: () => (when)
});
/**
 * Small DOM helpers shared by the panels: an element builder, tables, chips and value formatting.
 */
/**
 * Create an element: `h('button', {class: 'nbr-x', onclick: fn, 'data-testid': 'nbr-x'}, 'Go')`.
 * `on*` attributes become listeners; `false`/undefined attributes and children are skipped.
 */
function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
        if (value === undefined || value === false) {
            continue;
        }
        if (typeof value === 'function') {
            el.addEventListener(key.slice(2), value);
        }
        else if (key === 'value' && 'value' in el) {
            el.value = String(value);
        }
        else {
            el.setAttribute(key, value === true ? '' : String(value));
        }
    }
    for (const child of children.flat()) {
        if (child !== null && child !== undefined && child !== false) {
            el.append(child);
        }
    }
    return el;
}
/** A small rounded label; `alias` chips and `tag` chips are styled differently. */
function chip(text, kind = 'tag') {
    return h('span', { class: `nbr-chip nbr-chip-${kind}`, title: text }, text);
}
/** A table with a header row; `onRow` makes rows clickable. */
function table(columns, rows, options = {}) {
    const head = h('tr', {}, columns.map(c => h('th', { class: c.className }, c.title)));
    const body = rows.map(row => h('tr', {
        class: [options.rowClass, options.onRow ? 'nbr-clickable' : undefined].filter(Boolean).join(' ') || undefined,
        onclick: options.onRow ? () => options.onRow(row) : undefined,
        ...(options.rowAttrs ? options.rowAttrs(row) : {})
    }, columns.map(c => h('td', { class: c.className }, c.cell(row)))));
    return h('table', { class: 'nbr-table', 'data-testid': options.testid }, h('thead', {}, head), h('tbody', {}, body));
}
/** `2026-11-22T12:08:12.619+00:00` -> `2026-11-22 12:08` (local time), with the full value as title. */
function when(iso) {
    if (!iso) {
        return '';
    }
    const date = new Date(iso);
    if (isNaN(date.getTime())) {
        return iso;
    }
    const pad = (n) => String(n).padStart(2, '0');
    const text = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
        `${pad(date.getHours())}:${pad(date.getMinutes())}`;
    return h('span', { title: iso }, text);
}
function bytes(size) {
    if (size === null || size === undefined) {
        return '';
    }
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let value = size;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
/** One value of metadata, config or summary, kept short. */
function short(value) {
    if (value === null || value === undefined) {
        return '';
    }
    if (typeof value === 'number') {
        return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
    }
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return text.length > 60 ? text.slice(0, 57) + '…' : text;
}
/** `{val_acc: 0.86, epochs: 3}` -> `val_acc=0.86 epochs=3` */
function keyValues(record) {
    return Object.entries(record ?? {})
        .map(([k, v]) => `${k}=${short(v)}`)
        .join('  ');
}
/** A titled block of a page. */
function section(title, testid, ...children) {
    return h('section', { class: 'nbr-section', 'data-testid': testid }, h('h3', {}, title), ...children);
}
/** `<select>` from options; `[value, label]` pairs or plain values. */
function select(options, attrs = {}) {
    const el = h('select', { class: 'nbr-select', ...attrs });
    for (const option of options) {
        const [value, label] = Array.isArray(option) ? option : [option, option];
        el.append(h('option', { value }, label));
    }
    return el;
}
function errorText(error) {
    return error instanceof Error ? error.message : String(error);
}
/** `host.replaceChildren` that skips null, undefined and false children. */
function fill(host, ...children) {
    host.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}


},
"./lib/widgets/lineageView.js"(__unused_rspack_module, __webpack_exports__, __webpack_require__) {
__webpack_require__.r(__webpack_exports__);
__webpack_require__.d(__webpack_exports__, {
  LineageView: () => (LineageView)
});
/* import */ var _lumino_widgets__rspack_import_0 = __webpack_require__("webpack/sharing/consume/default/@lumino/widgets");
/* import */ var _lumino_widgets__rspack_import_0_default = /*#__PURE__*/__webpack_require__.n(_lumino_widgets__rspack_import_0);
/* import */ var _dom__rspack_import_1 = __webpack_require__("./lib/widgets/dom.js");


async function loadCytoscape() {
    const [{ default: cytoscape }, { default: dagre }] = await Promise.all([__webpack_require__.e(/* import() */ "webpack_sharing_consume_default_cytoscape_cytoscape").then(__webpack_require__.bind(__webpack_require__, "webpack/sharing/consume/default/cytoscape/cytoscape")), __webpack_require__.e(/* import() */ "webpack_sharing_consume_default_cytoscape-dagre_cytoscape-dagre").then(__webpack_require__.bind(__webpack_require__, "webpack/sharing/consume/default/cytoscape-dagre/cytoscape-dagre"))]);
    cytoscape.use(dagre);
    return cytoscape;
}
let cytoscapeLoaded = null;
const STYLE = [
    {
        selector: 'node',
        style: {
            label: 'data(label)',
            'font-size': 11,
            'text-valign': 'center',
            'text-halign': 'center',
            'text-wrap': 'ellipsis',
            'text-max-width': '170px',
            width: 'data(width)',
            height: 30,
            shape: 'round-rectangle',
            'background-color': '#e3f2fd',
            'border-width': 1,
            'border-color': '#1976d2',
            color: '#0d2a4a'
        }
    },
    { selector: 'node[kind = "run"]', style: { shape: 'ellipse', 'background-color': '#eeeeee', 'border-color': '#757575' } },
    { selector: 'node[type = "dataset"]', style: { 'background-color': '#e8f5e9', 'border-color': '#388e3c' } },
    { selector: 'node[?registered]', style: { 'border-width': 3 } },
    { selector: 'node.nbr-root', style: { 'background-color': '#fff3e0', 'border-color': '#ef6c00', 'border-width': 3 } },
    {
        selector: 'edge',
        style: {
            width: 1.5,
            'curve-style': 'bezier',
            'target-arrow-shape': 'triangle',
            'line-color': '#9e9e9e',
            'target-arrow-color': '#9e9e9e'
        }
    },
    { selector: 'edge[kind = "depends-on"]', style: { 'line-style': 'dashed', 'line-color': '#ef6c00', 'target-arrow-color': '#ef6c00' } }
];
class LineageView extends _lumino_widgets__rspack_import_0.Widget {
    constructor(_model, _actions, spec) {
        super();
        this._model = _model;
        this._actions = _actions;
        this._cy = null;
        this._info = (0,_dom__rspack_import_1.h)('p', { class: 'nbr-count', 'data-testid': 'nbr-lineage-info' });
        this._canvas = (0,_dom__rspack_import_1.h)('div', { class: 'nbr-graph', 'data-testid': 'nbr-lineage-graph' });
        this.id = 'nbr-lineage';
        this.title.label = 'Lineage';
        this.title.closable = true;
        this.addClass('nbr-page');
        this.addClass('nbr-lineage');
        this.node.dataset.testid = 'nbr-lineage-page';
        this._spec = (0,_dom__rspack_import_1.h)('input', { class: 'jp-mod-styled nbr-input nbr-wide', placeholder: 'project/name:vN or model-registry/NAME:ALIAS', value: spec, 'data-testid': 'nbr-lineage-spec' });
        this._direction = (0,_dom__rspack_import_1.select)(['both', 'up', 'down'], { 'data-testid': 'nbr-lineage-direction' });
        this._depth = (0,_dom__rspack_import_1.h)('input', { class: 'jp-mod-styled nbr-input nbr-narrow', type: 'number', min: 1, placeholder: 'depth' });
        const show = (0,_dom__rspack_import_1.h)('button', { class: 'jp-mod-styled jp-mod-accept nbr-button', 'data-testid': 'nbr-lineage-show', onclick: () => void this.reload() }, 'Show');
        this.node.append((0,_dom__rspack_import_1.h)('div', { class: 'nbr-form' }, (0,_dom__rspack_import_1.h)('label', {}, 'Lineage of'), this._spec, this._direction, this._depth, show), this._info, this._canvas);
        _model.changed.connect(() => void this.reload(), this);
    }
    /** Show the graph of another spec. */
    setSpec(spec) {
        this._spec.value = spec;
        void this.reload();
    }
    async reload() {
        const spec = this._spec.value.trim();
        if (!this.isAttached) {
            return;
        }
        if (!spec) {
            this._info.textContent = 'Enter an artifact version to see what made it and what was made from it.';
            return;
        }
        try {
            const depth = this._depth.value ? Number(this._depth.value) : undefined;
            const graph = await this._model.lineage(spec, this._direction.value, depth);
            this.title.label = `Lineage: ${spec}`;
            await this._draw(graph);
            this._info.textContent = `${graph.nodes.length} nodes, ${graph.edges.length} edges. Click an artifact to open it.`;
        }
        catch (error) {
            this._info.textContent = (0,_dom__rspack_import_1.errorText)(error);
        }
    }
    onAfterAttach(msg) {
        void this.reload();
    }
    onResize(msg) {
        this._cy?.resize();
    }
    onAfterShow(msg) {
        this._model.wake();
        this._cy?.resize();
    }
    dispose() {
        this._cy?.destroy();
        this._cy = null;
        super.dispose();
    }
    async _draw(graph) {
        cytoscapeLoaded = cytoscapeLoaded ?? loadCytoscape();
        const cytoscape = await cytoscapeLoaded;
        const elements = [
            ...graph.nodes.map(n => ({
                data: { ...n, width: Math.min(190, Math.max(70, n.label.length * 6.5 + 20)) },
                classes: n.id === graph.root ? 'nbr-root' : ''
            })),
            ...graph.edges.map((e, i) => ({ data: { id: `e${i}`, source: e.source, target: e.target, kind: e.kind } }))
        ];
        this._cy?.destroy();
        const cy = (this._cy = cytoscape({ container: this._canvas, elements, style: STYLE, wheelSensitivity: 0.3 }));
        cy.layout({ name: 'dagre', rankDir: 'BT', nodeSep: 24, rankSep: 56, fit: true, padding: 20 }).run();
        cy.on('tap', 'node', event => this._open(event.target.data()));
        cy.on('mouseover', 'node', event => {
            const n = event.target.data();
            this._canvas.title = [n.label, (0,_dom__rspack_import_1.keyValues)((n.metadata ?? n.summary))].filter(Boolean).join('\n');
        });
    }
    _open(node) {
        if (node.kind === 'artifact' && node.project && node.name && node.version) {
            this._actions.openCollection(String(node.project), node.name, node.version);
        }
        else if (node.kind === 'run') {
            this._actions.openRuns(node.project ? String(node.project) : undefined);
        }
    }
}


},
"./lib/widgets/modelForms.js"(__unused_rspack_module, __webpack_exports__, __webpack_require__) {
__webpack_require__.r(__webpack_exports__);
__webpack_require__.d(__webpack_exports__, {
  AliasForm: () => (AliasForm),
  LinkForm: () => (LinkForm),
  Message: () => (Message),
  UseBar: () => (UseBar)
});
/* import */ var _jupyterlab_apputils__rspack_import_0 = __webpack_require__("webpack/sharing/consume/default/@jupyterlab/apputils");
/* import */ var _jupyterlab_apputils__rspack_import_0_default = /*#__PURE__*/__webpack_require__.n(_jupyterlab_apputils__rspack_import_0);
/* import */ var _model__rspack_import_2 = __webpack_require__("./lib/model.js");
/* import */ var _dom__rspack_import_1 = __webpack_require__("./lib/widgets/dom.js");
/**
 * The action bars of a registered model's page. Each is built once and `update`d with fresh data,
 * so a refresh never wipes what the user is typing or has selected.
 */



/** Refill a select's options, keeping the current choice when it still exists. */
function setOptions(el, options, preferred) {
    const keep = el.value || preferred;
    el.replaceChildren(...options.map(([value, label]) => (0,_dom__rspack_import_1.h)('option', { value }, label)));
    if (keep && options.some(([value]) => value === keep)) {
        el.value = keep;
    }
}
/** A line for messages under a form: `ok` or `error`. */
class Message {
    constructor() {
        this.node = (0,_dom__rspack_import_1.h)('div', { class: 'nbr-message', 'data-testid': 'nbr-message', role: 'status' });
    }
    show(text, kind = 'ok') {
        this.node.textContent = text;
        this.node.className = `nbr-message nbr-message-${kind}`;
    }
}
/** `%use model-registry/NAME:SELECTOR` with Copy and Insert into notebook. */
class UseBar {
    constructor(_name, _actions, _message) {
        this._name = _name;
        this._actions = _actions;
        this._message = _message;
        this._line = (0,_dom__rspack_import_1.h)('code', { class: 'nbr-use-line', 'data-testid': 'nbr-use-line' });
        this._selector = (0,_dom__rspack_import_1.select)([], { 'data-testid': 'nbr-use-select', title: 'alias or version to load' });
        this._selector.addEventListener('change', () => this._showLine());
        const copy = (0,_dom__rspack_import_1.h)('button', { class: 'jp-mod-styled nbr-button', 'data-testid': 'nbr-copy-use', onclick: () => this._copy() }, 'Copy');
        const insert = (0,_dom__rspack_import_1.h)('button', { class: 'jp-mod-styled jp-mod-accept nbr-button', 'data-testid': 'nbr-insert-use', onclick: () => void this._insert() }, 'Insert into notebook');
        this.node = (0,_dom__rspack_import_1.h)('div', { class: 'nbr-form nbr-use-bar' }, (0,_dom__rspack_import_1.h)('label', {}, 'Load'), this._selector, this._line, copy, insert);
    }
    update(detail) {
        const aliases = Object.keys(detail.aliases).sort();
        const versions = detail.versions.map(v => v.version).reverse();
        const preferred = ['production', 'staging'].find(a => aliases.includes(a)) ?? 'latest';
        setOptions(this._selector, [...aliases, 'latest', ...versions].map(s => [s, s]), preferred);
        this._showLine();
    }
    get line() {
        return (0,_model__rspack_import_2.useLine)(this._name, this._selector.value || 'latest');
    }
    _showLine() {
        this._line.textContent = this.line;
    }
    _copy() {
        this._actions.copy(this.line);
        this._message.show(`Copied: ${this.line}`);
    }
    async _insert() {
        try {
            await this._actions.insertIntoNotebook(this.line);
            this._message.show(`Inserted into the notebook: ${this.line}`);
        }
        catch (error) {
            this._message.show((0,_dom__rspack_import_1.errorText)(error), 'error');
        }
    }
}
const NEW_ALIAS = '__new__';
/** Move an alias (existing or new) to a version; `production` asks for confirmation. Also removes one. */
class AliasForm {
    constructor(_name, _model, _message, _onDetail) {
        this._name = _name;
        this._model = _model;
        this._message = _message;
        this._onDetail = _onDetail;
        this._alias = (0,_dom__rspack_import_1.select)([], { 'data-testid': 'nbr-alias-select', title: 'alias' });
        this._alias.addEventListener('change', () => this._syncNew());
        this._version = (0,_dom__rspack_import_1.select)([], { 'data-testid': 'nbr-version-select', title: 'version' });
        this._newAlias = (0,_dom__rspack_import_1.h)('input', { class: 'jp-mod-styled nbr-input', placeholder: 'new alias', 'data-testid': 'nbr-new-alias' });
        const move = (0,_dom__rspack_import_1.h)('button', { class: 'jp-mod-styled jp-mod-accept nbr-button', 'data-testid': 'nbr-move-alias', onclick: () => void this._move() }, 'Move alias');
        const remove = (0,_dom__rspack_import_1.h)('button', { class: 'jp-mod-styled nbr-button', 'data-testid': 'nbr-remove-alias', onclick: () => void this._remove() }, 'Remove');
        this.node = (0,_dom__rspack_import_1.h)('div', { class: 'nbr-form nbr-alias-form' }, (0,_dom__rspack_import_1.h)('label', {}, 'Alias'), this._alias, this._newAlias, (0,_dom__rspack_import_1.h)('label', {}, 'to'), this._version, move, remove);
    }
    update(detail) {
        const aliases = [...new Set(['production', 'staging', ...Object.keys(detail.aliases)])].sort();
        setOptions(this._alias, [
            ...aliases.map(a => [a, a in detail.aliases ? `${a} (v${detail.aliases[a]})` : a]),
            [NEW_ALIAS, 'new alias…']
        ]);
        setOptions(this._version, detail.versions.map(v => [v.version, `${v.version}  ${v.artifact}`]).reverse());
        this._syncNew();
    }
    get _chosenAlias() {
        return this._alias.value === NEW_ALIAS ? this._newAlias.value.trim() : this._alias.value;
    }
    _syncNew() {
        this._newAlias.hidden = this._alias.value !== NEW_ALIAS;
    }
    async _move() {
        const alias = this._chosenAlias;
        const version = this._version.value;
        if (!alias || !version) {
            this._message.show('Choose an alias and a version.', 'error');
            return;
        }
        if (alias === 'production') {
            const result = await (0,_jupyterlab_apputils__rspack_import_0.showDialog)({
                title: 'Move production?',
                body: `Point ${this._name}:production at ${version}? Anything loading model-registry/${this._name}:production will get the new version.`,
                buttons: [_jupyterlab_apputils__rspack_import_0.Dialog.cancelButton(), _jupyterlab_apputils__rspack_import_0.Dialog.warnButton({ label: 'Move production' })]
            });
            if (!result.button.accept) {
                return;
            }
        }
        try {
            this._onDetail(await this._model.moveAlias(this._name, alias, version));
            this._message.show(`${alias} → ${version}`);
        }
        catch (error) {
            this._message.show((0,_dom__rspack_import_1.errorText)(error), 'error');
        }
    }
    async _remove() {
        const alias = this._chosenAlias;
        const result = await (0,_jupyterlab_apputils__rspack_import_0.showDialog)({
            title: 'Remove alias?',
            body: `Remove ${this._name}:${alias}? The versions stay; only the alias goes (it is recorded in the history).`,
            buttons: [_jupyterlab_apputils__rspack_import_0.Dialog.cancelButton(), _jupyterlab_apputils__rspack_import_0.Dialog.warnButton({ label: 'Remove' })]
        });
        if (!result.button.accept) {
            return;
        }
        try {
            this._onDetail(await this._model.removeAlias(this._name, alias));
            this._message.show(`Removed ${alias}`);
        }
        catch (error) {
            this._message.show((0,_dom__rspack_import_1.errorText)(error), 'error');
        }
    }
}
/** Link an artifact version (`project/name:vN` or `name:alias`) to this registered model. */
class LinkForm {
    constructor(_name, _model, _message, _reload) {
        this._name = _name;
        this._model = _model;
        this._message = _message;
        this._reload = _reload;
        this._spec = (0,_dom__rspack_import_1.h)('input', { class: 'jp-mod-styled nbr-input nbr-wide', placeholder: 'project/name:vN', 'data-testid': 'nbr-link-spec' });
        this._aliases = (0,_dom__rspack_import_1.h)('input', { class: 'jp-mod-styled nbr-input', placeholder: 'aliases (comma separated)', 'data-testid': 'nbr-link-aliases' });
        const link = (0,_dom__rspack_import_1.h)('button', { class: 'jp-mod-styled nbr-button', 'data-testid': 'nbr-link', onclick: () => void this._link() }, 'Link version');
        this.node = (0,_dom__rspack_import_1.h)('div', { class: 'nbr-form nbr-link-form' }, (0,_dom__rspack_import_1.h)('label', {}, 'Link'), this._spec, this._aliases, link);
    }
    async _link() {
        const spec = this._spec.value.trim();
        if (!spec) {
            this._message.show('Enter an artifact version, e.g. project/name:v3.', 'error');
            return;
        }
        const aliases = this._aliases.value.split(',').map(a => a.trim()).filter(Boolean);
        try {
            const result = await this._model.link(this._name, spec, aliases);
            this._message.show(`Linked ${result.artifact} as ${result.linked_as}`);
            this._spec.value = '';
            this._aliases.value = '';
            await this._reload();
        }
        catch (error) {
            this._message.show((0,_dom__rspack_import_1.errorText)(error), 'error');
        }
    }
}


},
"./lib/widgets/modelPage.js"(__unused_rspack_module, __webpack_exports__, __webpack_require__) {
__webpack_require__.r(__webpack_exports__);
__webpack_require__.d(__webpack_exports__, {
  ModelPage: () => (ModelPage)
});
/* import */ var _lumino_widgets__rspack_import_0 = __webpack_require__("webpack/sharing/consume/default/@lumino/widgets");
/* import */ var _lumino_widgets__rspack_import_0_default = /*#__PURE__*/__webpack_require__.n(_lumino_widgets__rspack_import_0);
/* import */ var _dom__rspack_import_2 = __webpack_require__("./lib/widgets/dom.js");
/* import */ var _modelForms__rspack_import_1 = __webpack_require__("./lib/widgets/modelForms.js");



class ModelPage extends _lumino_widgets__rspack_import_0.Widget {
    constructor(_model, _actions, modelName) {
        super();
        this._model = _model;
        this._actions = _actions;
        this.modelName = modelName;
        this._detail = null;
        this._editing = false;
        this._message = new _modelForms__rspack_import_1.Message();
        this._header = (0,_dom__rspack_import_2.h)('header', { class: 'nbr-page-header' });
        this._card = (0,_dom__rspack_import_2.h)('section', { class: 'nbr-section nbr-card' });
        this._versions = (0,_dom__rspack_import_2.h)('section', { class: 'nbr-section', 'data-testid': 'nbr-versions' });
        this._history = (0,_dom__rspack_import_2.h)('section', { class: 'nbr-section', 'data-testid': 'nbr-history' });
        this._automations = (0,_dom__rspack_import_2.h)('section', { class: 'nbr-section', 'data-testid': 'nbr-automations' });
        this.id = `nbr-model-${modelName}`;
        this.title.label = modelName;
        this.title.caption = `Registered model ${modelName}`;
        this.title.closable = true;
        this.addClass('nbr-page');
        this.addClass('nbr-model-page');
        this.node.dataset.testid = 'nbr-model-page';
        this.node.dataset.name = modelName;
        const onDetail = (detail) => this._show(detail);
        this._use = new _modelForms__rspack_import_1.UseBar(modelName, _actions, this._message);
        this._aliasForm = new _modelForms__rspack_import_1.AliasForm(modelName, _model, this._message, onDetail);
        this._linkForm = new _modelForms__rspack_import_1.LinkForm(modelName, _model, this._message, () => this.reload());
        this.node.append(this._header, (0,_dom__rspack_import_2.h)('div', { class: 'nbr-actions' }, this._use.node, this._aliasForm.node, this._linkForm.node, this._message.node), this._card, this._versions, this._history, this._automations);
        _model.changed.connect(() => void this.reload(), this);
        void this.reload();
    }
    /** The last loaded detail (null until loaded). */
    get detail() {
        return this._detail;
    }
    async reload() {
        try {
            this._show(await this._model.getModel(this.modelName));
        }
        catch (error) {
            this._header.replaceChildren((0,_dom__rspack_import_2.h)('h2', {}, this.modelName), (0,_dom__rspack_import_2.h)('p', { class: 'nbr-error' }, (0,_dom__rspack_import_2.errorText)(error)));
        }
    }
    onAfterShow(msg) {
        this._model.wake();
    }
    _show(detail) {
        this._detail = detail;
        const aliases = Object.entries(detail.aliases)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([alias, n]) => (0,_dom__rspack_import_2.chip)(`${alias}: v${n}`, 'alias'));
        (0,_dom__rspack_import_2.fill)(this._header, (0,_dom__rspack_import_2.h)('h2', {}, (0,_dom__rspack_import_2.h)('span', { class: 'nbr-kicker' }, 'model-registry/'), detail.name), detail.description ? (0,_dom__rspack_import_2.h)('p', { class: 'nbr-description' }, detail.description) : null, (0,_dom__rspack_import_2.h)('div', { class: 'nbr-chips', 'data-testid': 'nbr-model-aliases' }, aliases, detail.tags.map(t => (0,_dom__rspack_import_2.chip)(t, 'tag'))));
        this._use.update(detail);
        this._aliasForm.update(detail);
        if (!this._editing) {
            this._showCard(detail);
        }
        this._versions.replaceChildren((0,_dom__rspack_import_2.h)('h3', {}, `Versions (${detail.versions.length})`), this._versionsTable(detail.versions));
        this._history.replaceChildren((0,_dom__rspack_import_2.h)('h3', {}, 'Alias history'), this._historyTable(detail.history));
        this._automations.hidden = detail.automations.length === 0;
        this._automations.replaceChildren((0,_dom__rspack_import_2.h)('h3', {}, 'Automations'), ...this._automationsList(detail));
    }
    _showCard(detail) {
        const body = (0,_dom__rspack_import_2.h)('div', { class: 'nbr-card-body', 'data-testid': 'nbr-model-card' });
        const edit = (0,_dom__rspack_import_2.h)('button', { class: 'jp-mod-styled nbr-button nbr-small', 'data-testid': 'nbr-edit-card', onclick: () => this._editCard(detail) }, 'Edit');
        this._card.replaceChildren((0,_dom__rspack_import_2.h)('h3', {}, 'Model card ', edit), body);
        if (detail.model_card.trim()) {
            void this._actions.renderMarkdown(detail.model_card, body);
        }
        else {
            body.append((0,_dom__rspack_import_2.h)('p', { class: 'nbr-empty' }, 'No model card yet.'));
        }
    }
    _editCard(detail) {
        this._editing = true;
        const description = (0,_dom__rspack_import_2.h)('input', { class: 'jp-mod-styled nbr-input nbr-wide', value: detail.description ?? '', 'data-testid': 'nbr-edit-description' });
        const tags = (0,_dom__rspack_import_2.h)('input', { class: 'jp-mod-styled nbr-input nbr-wide', value: detail.tags.join(', '), 'data-testid': 'nbr-edit-tags' });
        const card = (0,_dom__rspack_import_2.h)('textarea', { class: 'jp-mod-styled nbr-card-editor', rows: 14, 'data-testid': 'nbr-edit-card-text' });
        card.value = detail.model_card;
        const stop = () => {
            this._editing = false;
            this._showCard(this._detail ?? detail);
        };
        const save = async () => {
            try {
                const patch = {
                    description: description.value,
                    model_card: card.value,
                    tags: tags.value.split(',').map(t => t.trim()).filter(Boolean)
                };
                const updated = await this._model.updateModel(this.modelName, patch);
                this._editing = false;
                this._show(updated);
                this._message.show('Saved the model card.');
            }
            catch (error) {
                this._message.show((0,_dom__rspack_import_2.errorText)(error), 'error');
            }
        };
        this._card.replaceChildren((0,_dom__rspack_import_2.h)('h3', {}, 'Edit model card'), (0,_dom__rspack_import_2.h)('label', { class: 'nbr-field' }, 'Description', description), (0,_dom__rspack_import_2.h)('label', { class: 'nbr-field' }, 'Tags', tags), (0,_dom__rspack_import_2.h)('label', { class: 'nbr-field' }, 'Model card (Markdown)', card), (0,_dom__rspack_import_2.h)('div', { class: 'nbr-form' }, (0,_dom__rspack_import_2.h)('button', { class: 'jp-mod-styled jp-mod-accept nbr-button', 'data-testid': 'nbr-save-card', onclick: () => void save() }, 'Save'), (0,_dom__rspack_import_2.h)('button', { class: 'jp-mod-styled nbr-button', onclick: stop }, 'Cancel')));
    }
    _versionsTable(versions) {
        const openArtifact = (v) => {
            const [path, version] = v.artifact.split(':');
            const [project, name] = path.split('/');
            this._actions.openCollection(project, name, version);
        };
        const rows = [...versions].reverse();
        return (0,_dom__rspack_import_2.table)([
            { title: 'Version', cell: v => (0,_dom__rspack_import_2.h)('strong', {}, v.version) },
            { title: 'Aliases', cell: v => v.aliases.map(a => (0,_dom__rspack_import_2.chip)(a, 'alias')) },
            {
                title: 'Artifact',
                cell: v => (0,_dom__rspack_import_2.h)('button', { class: 'nbr-link-button', title: v.digest, onclick: () => openArtifact(v) }, v.artifact, v.missing ? ' (missing)' : '')
            },
            { title: 'Type', cell: v => v.type ?? '' },
            { title: 'Metadata', cell: v => (0,_dom__rspack_import_2.keyValues)(v.metadata), className: 'nbr-meta' },
            { title: 'Run', cell: v => v.run ?? '' },
            { title: 'Linked', cell: v => [(0,_dom__rspack_import_2.when)(v.linked_at), ' by ', v.linked_by] },
            {
                title: '',
                cell: v => (0,_dom__rspack_import_2.h)('button', { class: 'nbr-link-button', onclick: () => this._actions.openLineage(v.artifact) }, 'lineage')
            }
        ], rows, { testid: 'nbr-versions-table', rowClass: 'nbr-version-row', rowAttrs: v => ({ 'data-version': v.version }) });
    }
    _historyTable(history) {
        const v = (n) => (n === null ? '—' : `v${n}`);
        const rows = [...history].reverse();
        return rows.length === 0
            ? (0,_dom__rspack_import_2.h)('p', { class: 'nbr-empty' }, 'No alias has moved yet.')
            : (0,_dom__rspack_import_2.table)([
                { title: 'When', cell: e => (0,_dom__rspack_import_2.when)(e.at) },
                { title: 'Alias', cell: e => (0,_dom__rspack_import_2.chip)(e.alias, 'alias') },
                { title: 'From', cell: e => v(e.from) },
                { title: 'To', cell: e => v(e.to) },
                { title: 'By', cell: e => e.by }
            ], rows, { testid: 'nbr-history-table', rowClass: 'nbr-history-row' });
    }
    _automationsList(detail) {
        const text = (r, k) => String(r[k] ?? '');
        const runs = detail.automation_runs;
        return [
            (0,_dom__rspack_import_2.table)([
                { title: 'On alias', cell: (a) => text(a, 'alias') },
                { title: 'Command', cell: (a) => (0,_dom__rspack_import_2.h)('code', {}, text(a, 'command')) }
            ], detail.automations),
            (0,_dom__rspack_import_2.h)('p', {}, runs.length ? `${runs.length} run(s); last: ${(0,_dom__rspack_import_2.keyValues)(runs[runs.length - 1])}` : 'Not triggered yet.')
        ];
    }
}


},
"./lib/widgets/runsPage.js"(__unused_rspack_module, __webpack_exports__, __webpack_require__) {
__webpack_require__.r(__webpack_exports__);
__webpack_require__.d(__webpack_exports__, {
  RunsPage: () => (RunsPage)
});
/* import */ var _lumino_widgets__rspack_import_0 = __webpack_require__("webpack/sharing/consume/default/@lumino/widgets");
/* import */ var _lumino_widgets__rspack_import_0_default = /*#__PURE__*/__webpack_require__.n(_lumino_widgets__rspack_import_0);
/* import */ var _dom__rspack_import_1 = __webpack_require__("./lib/widgets/dom.js");


class RunsPage extends _lumino_widgets__rspack_import_0.Widget {
    constructor(_model, project) {
        super();
        this._model = _model;
        this._table = (0,_dom__rspack_import_1.h)('div', { class: 'nbr-section nbr-scroll-x' });
        this.id = 'nbr-runs';
        this.title.label = 'Runs';
        this.title.caption = 'nb_registry runs';
        this.title.closable = true;
        this.addClass('nbr-page');
        this.node.dataset.testid = 'nbr-runs-page';
        const input = (placeholder, testid, value = '') => (0,_dom__rspack_import_1.h)('input', { class: 'jp-mod-styled nbr-input', placeholder, value, 'data-testid': testid, onkeydown: (e) => e.key === 'Enter' && void this.reload() });
        this._project = input('all projects', 'nbr-runs-project', project ?? '');
        this._filters = input('{"summary.acc": {"$gte": 0.9}}', 'nbr-runs-filters');
        this._filters.classList.add('nbr-wide');
        this._order = input('-started_at', 'nbr-runs-order');
        const go = (0,_dom__rspack_import_1.h)('button', { class: 'jp-mod-styled jp-mod-accept nbr-button', 'data-testid': 'nbr-runs-go', onclick: () => void this.reload() }, 'Query');
        this.node.append((0,_dom__rspack_import_1.h)('header', { class: 'nbr-page-header' }, (0,_dom__rspack_import_1.h)('h2', {}, 'Runs')), (0,_dom__rspack_import_1.h)('div', { class: 'nbr-form' }, (0,_dom__rspack_import_1.h)('label', {}, 'Project'), this._project, (0,_dom__rspack_import_1.h)('label', {}, 'Filters'), this._filters, (0,_dom__rspack_import_1.h)('label', {}, 'Order'), this._order, go), this._table);
        _model.changed.connect(() => void this.reload(), this);
        void this.reload();
    }
    /** Show one project's runs (used when the page is opened again from the sidebar). */
    setProject(project) {
        this._project.value = project ?? '';
        void this.reload();
    }
    async reload() {
        let filters;
        try {
            const text = this._filters.value.trim();
            filters = text ? JSON.parse(text) : undefined;
        }
        catch (error) {
            this._table.replaceChildren((0,_dom__rspack_import_1.h)('p', { class: 'nbr-error' }, `Filters are not valid JSON: ${(0,_dom__rspack_import_1.errorText)(error)}`));
            return;
        }
        try {
            const answer = await this._model.runs({
                project: this._project.value.trim() || undefined,
                filters,
                order: this._order.value.trim() || undefined,
                limit: 500
            });
            const columns = answer.columns.map(c => ({ title: c, cell: (row) => this._cell(c, row[c]) }));
            this._table.replaceChildren((0,_dom__rspack_import_1.h)('p', { class: 'nbr-count' }, `${answer.rows.length} run(s)`), (0,_dom__rspack_import_1.table)(columns, answer.rows, { testid: 'nbr-runs-table', rowClass: 'nbr-run-row' }));
        }
        catch (error) {
            this._table.replaceChildren((0,_dom__rspack_import_1.h)('p', { class: 'nbr-error' }, (0,_dom__rspack_import_1.errorText)(error)));
        }
    }
    onAfterShow(msg) {
        this._model.wake();
    }
    _cell(column, value) {
        if (column === 'state' && typeof value === 'string') {
            return (0,_dom__rspack_import_1.chip)(value, 'state');
        }
        if (typeof value === 'string' && /_at$/.test(column)) {
            return (0,_dom__rspack_import_1.when)(value);
        }
        return (0,_dom__rspack_import_1.short)(value);
    }
}


},
"./lib/widgets/sidebar.js"(__unused_rspack_module, __webpack_exports__, __webpack_require__) {
__webpack_require__.r(__webpack_exports__);
__webpack_require__.d(__webpack_exports__, {
  RegistrySidebar: () => (RegistrySidebar)
});
/* import */ var _jupyterlab_ui_components__rspack_import_0 = __webpack_require__("webpack/sharing/consume/default/@jupyterlab/ui-components");
/* import */ var _jupyterlab_ui_components__rspack_import_0_default = /*#__PURE__*/__webpack_require__.n(_jupyterlab_ui_components__rspack_import_0);
/* import */ var _lumino_widgets__rspack_import_1 = __webpack_require__("webpack/sharing/consume/default/@lumino/widgets");
/* import */ var _lumino_widgets__rspack_import_1_default = /*#__PURE__*/__webpack_require__.n(_lumino_widgets__rspack_import_1);
/* import */ var _dom__rspack_import_2 = __webpack_require__("./lib/widgets/dom.js");
/**
 * The "Model Registry" panel of the left sidebar: registered models (aliases, tags, search),
 * artifact collections grouped by type, and entry points to the runs table and lineage graph.
 */



class RegistrySidebar extends _lumino_widgets__rspack_import_1.Widget {
    constructor(_model, _actions) {
        super();
        this._model = _model;
        this._actions = _actions;
        this._tab = 'models';
        this._tag = null;
        this._ticket = 0;
        this._searchTimer = 0;
        this._body = (0,_dom__rspack_import_2.h)('div', { class: 'nbr-sidebar-body' });
        this._footer = (0,_dom__rspack_import_2.h)('footer', { class: 'nbr-sidebar-footer', 'data-testid': 'nbr-status' });
        this.addClass('nbr-sidebar');
        this.node.dataset.testid = 'nbr-sidebar';
        this.title.caption = 'Model Registry';
        this._search = (0,_dom__rspack_import_2.h)('input', {
            class: 'jp-mod-styled nbr-search',
            type: 'search',
            placeholder: 'Search models…',
            'data-testid': 'nbr-search',
            oninput: () => this._scheduleSearch()
        });
        this.node.append(this._header(), this._tabBar(), this._search, this._body, this._footer);
        _model.changed.connect(() => this._render(), this);
    }
    onAfterShow(msg) {
        this._model.wake();
        this._render();
    }
    _header() {
        const refresh = (0,_dom__rspack_import_2.h)('button', {
            class: 'jp-Button jp-mod-minimal nbr-icon-button',
            title: 'Refresh',
            'data-testid': 'nbr-refresh',
            onclick: () => void this._model.refresh(true).catch(() => undefined)
        });
        _jupyterlab_ui_components__rspack_import_0.refreshIcon.element({ container: refresh, tag: 'span' });
        return (0,_dom__rspack_import_2.h)('header', { class: 'nbr-sidebar-header' }, (0,_dom__rspack_import_2.h)('h2', {}, 'Model Registry'), refresh);
    }
    _tabBar() {
        const tabs = [
            ['models', 'Models'],
            ['artifacts', 'Artifacts'],
            ['runs', 'Runs']
        ];
        const bar = (0,_dom__rspack_import_2.h)('nav', { class: 'nbr-tabs' });
        for (const [tab, label] of tabs) {
            bar.append((0,_dom__rspack_import_2.h)('button', {
                class: 'nbr-tab',
                'data-tab': tab,
                'data-testid': `nbr-tab-${tab}`,
                onclick: () => {
                    this._tab = tab;
                    this._render();
                }
            }, label));
        }
        return bar;
    }
    /** Re-render the current tab from the model (and the server, for artifacts and searches). */
    _render() {
        for (const button of this.node.querySelectorAll('.nbr-tab')) {
            button.classList.toggle('nbr-mod-active', button.dataset.tab === this._tab);
        }
        this._search.hidden = this._tab !== 'models';
        const status = this._model.status;
        this._footer.replaceChildren(this._model.error
            ? (0,_dom__rspack_import_2.h)('span', { class: 'nbr-error', 'data-testid': 'nbr-error' }, this._model.error)
            : status
                ? (0,_dom__rspack_import_2.h)('span', { title: `nb_registry ${status.version}` }, status.root)
                : 'Connecting…');
        if (!this.isVisible) {
            return;
        }
        const ticket = ++this._ticket;
        const done = (content) => {
            if (ticket === this._ticket) {
                this._body.replaceChildren(content);
            }
        };
        const failed = (error) => done((0,_dom__rspack_import_2.h)('p', { class: 'nbr-error' }, (0,_dom__rspack_import_2.errorText)(error)));
        if (this._tab === 'models') {
            this._modelsTab().then(done, failed);
        }
        else if (this._tab === 'artifacts') {
            this._model.collections().then(c => done(this._artifactsTab(c)), failed);
        }
        else {
            this._model.collections().then(c => done(this._runsTab(c)), failed);
        }
    }
    async _modelsTab() {
        const search = this._search.value.trim();
        const models = search || this._tag ? await this._model.listModels(this._tag ?? undefined, search) : this._model.models;
        const filter = this._tag
            ? (0,_dom__rspack_import_2.h)('div', { class: 'nbr-filter' }, 'tag ', (0,_dom__rspack_import_2.chip)(this._tag, 'tag'), (0,_dom__rspack_import_2.h)('button', { class: 'nbr-link-button', onclick: () => this._setTag(null) }, 'clear'))
            : null;
        const list = (0,_dom__rspack_import_2.h)('ul', { class: 'nbr-list', 'data-testid': 'nbr-model-list' }, models.map(m => this._modelRow(m)));
        const empty = models.length === 0
            ? (0,_dom__rspack_import_2.h)('p', { class: 'nbr-empty' }, search || this._tag ? 'No registered model matches.' : 'No registered models yet. Link one with run.link_artifact(art, "name").')
            : null;
        return (0,_dom__rspack_import_2.h)('div', {}, filter, list, empty);
    }
    _modelRow(m) {
        const aliases = Object.entries(m.aliases)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([alias, n]) => (0,_dom__rspack_import_2.chip)(`${alias}: v${n}`, 'alias'));
        const tags = m.tags.map(t => {
            const c = (0,_dom__rspack_import_2.chip)(t, 'tag');
            c.addEventListener('click', event => {
                event.stopPropagation();
                this._setTag(t);
            });
            return c;
        });
        return (0,_dom__rspack_import_2.h)('li', {
            class: 'nbr-model-row nbr-clickable',
            'data-testid': 'nbr-model-row',
            'data-name': m.name,
            title: m.description ?? m.name,
            onclick: () => this._actions.openModel(m.name)
        }, (0,_dom__rspack_import_2.h)('div', { class: 'nbr-row-title' }, (0,_dom__rspack_import_2.h)('span', { class: 'nbr-name' }, m.name), (0,_dom__rspack_import_2.h)('span', { class: 'nbr-count' }, `${m.versions} version${m.versions === 1 ? '' : 's'}`)), m.description ? (0,_dom__rspack_import_2.h)('div', { class: 'nbr-description' }, m.description) : null, (0,_dom__rspack_import_2.h)('div', { class: 'nbr-chips' }, aliases, tags));
    }
    _artifactsTab(collections) {
        if (collections.length === 0) {
            return (0,_dom__rspack_import_2.h)('p', { class: 'nbr-empty' }, 'No artifacts logged yet.');
        }
        const byType = new Map();
        for (const c of collections) {
            byType.set(c.type, [...(byType.get(c.type) ?? []), c]);
        }
        const groups = [...byType.keys()].sort().map(type => (0,_dom__rspack_import_2.h)('details', { class: 'nbr-type-group', open: true, 'data-type': type }, (0,_dom__rspack_import_2.h)('summary', {}, type, (0,_dom__rspack_import_2.h)('span', { class: 'nbr-count' }, String(byType.get(type).length))), (0,_dom__rspack_import_2.h)('ul', { class: 'nbr-list' }, byType.get(type).map(c => (0,_dom__rspack_import_2.h)('li', {
            class: 'nbr-collection-row nbr-clickable',
            'data-testid': 'nbr-collection-row',
            'data-name': `${c.project}/${c.name}`,
            onclick: () => this._actions.openCollection(c.project, c.name)
        }, (0,_dom__rspack_import_2.h)('span', { class: 'nbr-name' }, c.name), (0,_dom__rspack_import_2.h)('span', { class: 'nbr-project' }, c.project))))));
        return (0,_dom__rspack_import_2.h)('div', { 'data-testid': 'nbr-artifacts' }, groups);
    }
    _runsTab(collections) {
        const projects = [...new Set(collections.map(c => c.project))].sort();
        const open = (project) => () => this._actions.openRuns(project);
        return (0,_dom__rspack_import_2.h)('div', { 'data-testid': 'nbr-runs-tab' }, (0,_dom__rspack_import_2.h)('button', { class: 'jp-mod-styled jp-mod-accept nbr-button', 'data-testid': 'nbr-open-runs', onclick: open() }, 'Open runs table'), (0,_dom__rspack_import_2.h)('h4', {}, 'Projects'), (0,_dom__rspack_import_2.h)('ul', { class: 'nbr-list' }, projects.map(p => (0,_dom__rspack_import_2.h)('li', { class: 'nbr-clickable nbr-project-row', onclick: open(p) }, p))), (0,_dom__rspack_import_2.h)('h4', {}, 'Lineage'), (0,_dom__rspack_import_2.h)('button', { class: 'jp-mod-styled nbr-button', 'data-testid': 'nbr-open-lineage', onclick: () => this._actions.openLineage('') }, 'Open lineage graph'));
    }
    _setTag(tag) {
        this._tag = tag;
        this._render();
    }
    _scheduleSearch() {
        window.clearTimeout(this._searchTimer);
        this._searchTimer = window.setTimeout(() => this._render(), 250);
    }
}


},

}]);
//# sourceMappingURL=lib_index_js.8f87b25b5f3542f8.js.map