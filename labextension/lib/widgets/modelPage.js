import { Widget } from '@lumino/widgets';
import { chip, errorText, fill, h, keyValues, table, when } from './dom';
import { AliasForm, LinkForm, Message, UseBar } from './modelForms';
export class ModelPage extends Widget {
    constructor(_model, _actions, modelName) {
        super();
        this._model = _model;
        this._actions = _actions;
        this.modelName = modelName;
        this._detail = null;
        this._editing = false;
        this._message = new Message();
        this._header = h('header', { class: 'nbr-page-header' });
        this._card = h('section', { class: 'nbr-section nbr-card' });
        this._versions = h('section', { class: 'nbr-section', 'data-testid': 'nbr-versions' });
        this._history = h('section', { class: 'nbr-section', 'data-testid': 'nbr-history' });
        this._automations = h('section', { class: 'nbr-section', 'data-testid': 'nbr-automations' });
        this.id = `nbr-model-${modelName}`;
        this.title.label = modelName;
        this.title.caption = `Registered model ${modelName}`;
        this.title.closable = true;
        this.addClass('nbr-page');
        this.addClass('nbr-model-page');
        this.node.dataset.testid = 'nbr-model-page';
        this.node.dataset.name = modelName;
        const onDetail = (detail) => this._show(detail);
        this._use = new UseBar(modelName, _actions, this._message);
        this._aliasForm = new AliasForm(modelName, _model, this._message, onDetail);
        this._linkForm = new LinkForm(modelName, _model, this._message, () => this.reload());
        this.node.append(this._header, h('div', { class: 'nbr-actions' }, this._use.node, this._aliasForm.node, this._linkForm.node, this._message.node), this._card, this._versions, this._history, this._automations);
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
            this._header.replaceChildren(h('h2', {}, this.modelName), h('p', { class: 'nbr-error' }, errorText(error)));
        }
    }
    onAfterShow(msg) {
        this._model.wake();
    }
    _show(detail) {
        this._detail = detail;
        const aliases = Object.entries(detail.aliases)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([alias, n]) => chip(`${alias}: v${n}`, 'alias'));
        fill(this._header, h('h2', {}, h('span', { class: 'nbr-kicker' }, 'model-registry/'), detail.name), detail.description ? h('p', { class: 'nbr-description' }, detail.description) : null, h('div', { class: 'nbr-chips', 'data-testid': 'nbr-model-aliases' }, aliases, detail.tags.map(t => chip(t, 'tag'))));
        this._use.update(detail);
        this._aliasForm.update(detail);
        if (!this._editing) {
            this._showCard(detail);
        }
        this._versions.replaceChildren(h('h3', {}, `Versions (${detail.versions.length})`), this._versionsTable(detail.versions));
        this._history.replaceChildren(h('h3', {}, 'Alias history'), this._historyTable(detail.history));
        this._automations.hidden = detail.automations.length === 0;
        this._automations.replaceChildren(h('h3', {}, 'Automations'), ...this._automationsList(detail));
    }
    _showCard(detail) {
        const body = h('div', { class: 'nbr-card-body', 'data-testid': 'nbr-model-card' });
        const edit = h('button', { class: 'jp-mod-styled nbr-button nbr-small', 'data-testid': 'nbr-edit-card', onclick: () => this._editCard(detail) }, 'Edit');
        this._card.replaceChildren(h('h3', {}, 'Model card ', edit), body);
        if (detail.model_card.trim()) {
            void this._actions.renderMarkdown(detail.model_card, body);
        }
        else {
            body.append(h('p', { class: 'nbr-empty' }, 'No model card yet.'));
        }
    }
    _editCard(detail) {
        this._editing = true;
        const description = h('input', { class: 'jp-mod-styled nbr-input nbr-wide', value: detail.description ?? '', 'data-testid': 'nbr-edit-description' });
        const tags = h('input', { class: 'jp-mod-styled nbr-input nbr-wide', value: detail.tags.join(', '), 'data-testid': 'nbr-edit-tags' });
        const card = h('textarea', { class: 'jp-mod-styled nbr-card-editor', rows: 14, 'data-testid': 'nbr-edit-card-text' });
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
                this._message.show(errorText(error), 'error');
            }
        };
        this._card.replaceChildren(h('h3', {}, 'Edit model card'), h('label', { class: 'nbr-field' }, 'Description', description), h('label', { class: 'nbr-field' }, 'Tags', tags), h('label', { class: 'nbr-field' }, 'Model card (Markdown)', card), h('div', { class: 'nbr-form' }, h('button', { class: 'jp-mod-styled jp-mod-accept nbr-button', 'data-testid': 'nbr-save-card', onclick: () => void save() }, 'Save'), h('button', { class: 'jp-mod-styled nbr-button', onclick: stop }, 'Cancel')));
    }
    _versionsTable(versions) {
        const openArtifact = (v) => {
            const [path, version] = v.artifact.split(':');
            const [project, name] = path.split('/');
            this._actions.openCollection(project, name, version);
        };
        const rows = [...versions].reverse();
        return table([
            { title: 'Version', cell: v => h('strong', {}, v.version) },
            { title: 'Aliases', cell: v => v.aliases.map(a => chip(a, 'alias')) },
            {
                title: 'Artifact',
                cell: v => h('button', { class: 'nbr-link-button', title: v.digest, onclick: () => openArtifact(v) }, v.artifact, v.missing ? ' (missing)' : '')
            },
            { title: 'Type', cell: v => v.type ?? '' },
            { title: 'Metadata', cell: v => keyValues(v.metadata), className: 'nbr-meta' },
            { title: 'Run', cell: v => v.run ?? '' },
            { title: 'Linked', cell: v => [when(v.linked_at), ' by ', v.linked_by] },
            {
                title: '',
                cell: v => h('button', { class: 'nbr-link-button', onclick: () => this._actions.openLineage(v.artifact) }, 'lineage')
            }
        ], rows, { testid: 'nbr-versions-table', rowClass: 'nbr-version-row', rowAttrs: v => ({ 'data-version': v.version }) });
    }
    _historyTable(history) {
        const v = (n) => (n === null ? '—' : `v${n}`);
        const rows = [...history].reverse();
        return rows.length === 0
            ? h('p', { class: 'nbr-empty' }, 'No alias has moved yet.')
            : table([
                { title: 'When', cell: e => when(e.at) },
                { title: 'Alias', cell: e => chip(e.alias, 'alias') },
                { title: 'From', cell: e => v(e.from) },
                { title: 'To', cell: e => v(e.to) },
                { title: 'By', cell: e => e.by }
            ], rows, { testid: 'nbr-history-table', rowClass: 'nbr-history-row' });
    }
    _automationsList(detail) {
        const text = (r, k) => String(r[k] ?? '');
        const runs = detail.automation_runs;
        return [
            table([
                { title: 'On alias', cell: (a) => text(a, 'alias') },
                { title: 'Command', cell: (a) => h('code', {}, text(a, 'command')) }
            ], detail.automations),
            h('p', {}, runs.length ? `${runs.length} run(s); last: ${keyValues(runs[runs.length - 1])}` : 'Not triggered yet.')
        ];
    }
}
