/**
 * The page of one registered model (main area): header with aliases and tags, the `%use` bar,
 * alias and link forms, the rendered model card (editable), the versions table (with version tags), the alias
 * history, and the automations: your hooks for this model and the latest deliveries of its events.
 */
import { Message as LuminoMessage } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { RegistryModel } from '../model';
import { IAliasEvent, IModelDetail, IModelVersion } from '../tokens';
import { IRegistryActions } from './actions';
import { chip, errorText, fill, h, keyValues, table, when } from './dom';
import { automationsSection } from './automations';
import { AliasForm, LinkForm, Message, UseBar } from './modelForms';

export class ModelPage extends Widget {
  constructor(
    private readonly _model: RegistryModel,
    private readonly _actions: IRegistryActions,
    readonly modelName: string
  ) {
    super();
    this.id = `nbr-model-${modelName}`;
    this.title.label = modelName;
    this.title.caption = `Registered model ${modelName}`;
    this.title.closable = true;
    this.addClass('nbr-page');
    this.addClass('nbr-model-page');
    this.node.dataset.testid = 'nbr-model-page';
    this.node.dataset.name = modelName;

    const onDetail = (detail: IModelDetail) => this._show(detail);
    this._use = new UseBar(modelName, _actions, this._message);
    this._aliasForm = new AliasForm(modelName, _model, this._message, onDetail);
    this._linkForm = new LinkForm(modelName, _model, this._message, () => this.reload());
    this.node.append(
      this._header,
      h('div', { class: 'nbr-actions' }, this._use.node, this._aliasForm.node, this._linkForm.node, this._message.node),
      this._card,
      this._versions,
      this._history,
      this._automations
    );
    _model.changed.connect(() => void this.reload(), this);
    void this.reload();
  }

  /** The last loaded detail (null until loaded). */
  get detail(): IModelDetail | null {
    return this._detail;
  }

  async reload(): Promise<void> {
    try {
      this._show(await this._model.getModel(this.modelName));
    } catch (error) {
      this._header.replaceChildren(h('h2', {}, this.modelName), h('p', { class: 'nbr-error' }, errorText(error)));
    }
  }

  protected onAfterShow(msg: LuminoMessage): void {
    this._model.wake();
  }

  private _show(detail: IModelDetail): void {
    this._detail = detail;
    const aliases = Object.entries(detail.aliases)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([alias, n]) => chip(`${alias}: v${n}`, 'alias'));
    fill(
      this._header,
      h('h2', {}, h('span', { class: 'nbr-kicker' }, 'model-registry/'), detail.name),
      detail.description ? h('p', { class: 'nbr-description' }, detail.description) : null,
      h('div', { class: 'nbr-chips', 'data-testid': 'nbr-model-aliases' }, aliases, detail.tags.map(t => chip(t, 'tag')))
    );
    this._use.update(detail);
    this._aliasForm.update(detail);
    if (!this._editing) {
      this._showCard(detail);
    }
    this._versions.replaceChildren(h('h3', {}, `Versions (${detail.versions.length})`), this._versionsTable(detail.versions));
    this._history.replaceChildren(h('h3', {}, 'Alias history'), this._historyTable(detail.history));
    fill(this._automations, automationsSection(detail));
  }

  private _showCard(detail: IModelDetail): void {
    const body = h('div', { class: 'nbr-card-body', 'data-testid': 'nbr-model-card' });
    const edit = h('button', { class: 'jp-mod-styled nbr-button nbr-small', 'data-testid': 'nbr-edit-card', onclick: () => this._editCard(detail) }, 'Edit');
    this._card.replaceChildren(h('h3', {}, 'Model card ', edit), body);
    if (detail.model_card.trim()) {
      void this._actions.renderMarkdown(detail.model_card, body);
    } else {
      body.append(h('p', { class: 'nbr-empty' }, 'No model card yet.'));
    }
  }

  private _editCard(detail: IModelDetail): void {
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
      } catch (error) {
        this._message.show(errorText(error), 'error');
      }
    };
    this._card.replaceChildren(
      h('h3', {}, 'Edit model card'),
      h('label', { class: 'nbr-field' }, 'Description', description),
      h('label', { class: 'nbr-field' }, 'Tags', tags),
      h('label', { class: 'nbr-field' }, 'Model card (Markdown)', card),
      h(
        'div',
        { class: 'nbr-form' },
        h('button', { class: 'jp-mod-styled jp-mod-accept nbr-button', 'data-testid': 'nbr-save-card', onclick: () => void save() }, 'Save'),
        h('button', { class: 'jp-mod-styled nbr-button', onclick: stop }, 'Cancel')
      )
    );
  }

  private _versionsTable(versions: IModelVersion[]): HTMLElement {
    const openArtifact = (v: IModelVersion) => {
      const [path, version] = v.artifact.split(':');
      const [project, name] = path.split('/');
      this._actions.openCollection(project, name, version);
    };
    const rows = [...versions].reverse();
    const tagged = versions.some(v => Object.keys(v.tags ?? {}).length > 0);
    const tags = (v: IModelVersion) =>
      h('span', { class: 'nbr-chips', 'data-testid': 'nbr-version-tags' },
        Object.entries(v.tags ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, value]) => chip(`${k}=${value}`, 'tag')));
    return table<IModelVersion>(
        [
          { title: 'Version', cell: v => h('strong', {}, v.version) },
          { title: 'Aliases', cell: v => v.aliases.map(a => chip(a, 'alias')) },
          ...(tagged ? [{ title: 'Tags', cell: tags }] : []),
          {
            title: 'Artifact',
            cell: v =>
              h('button', { class: 'nbr-link-button', title: v.digest, onclick: () => openArtifact(v) }, v.artifact, v.missing ? ' (missing)' : '')
          },
          { title: 'Type', cell: v => v.type ?? '' },
          { title: 'Metadata', cell: v => keyValues(v.metadata), className: 'nbr-meta' },
          { title: 'Run', cell: v => v.run ?? '' },
          { title: 'Linked', cell: v => [when(v.linked_at), ' by ', v.linked_by] },
          {
            title: '',
            cell: v => h('button', { class: 'nbr-link-button', onclick: () => this._actions.openLineage(v.artifact) }, 'lineage')
          }
        ],
        rows,
        { testid: 'nbr-versions-table', rowClass: 'nbr-version-row', rowAttrs: v => ({ 'data-version': v.version }) }
      );
  }

  private _historyTable(history: IAliasEvent[]): HTMLElement {
    const v = (n: number | null) => (n === null ? '—' : `v${n}`);
    const rows = [...history].reverse();
    return rows.length === 0
        ? h('p', { class: 'nbr-empty' }, 'No alias has moved yet.')
        : table<IAliasEvent>(
            [
              { title: 'When', cell: e => when(e.at) },
              { title: 'Alias', cell: e => chip(e.alias, 'alias') },
              { title: 'From', cell: e => v(e.from) },
              { title: 'To', cell: e => v(e.to) },
              { title: 'By', cell: e => e.by }
            ],
            rows,
            { testid: 'nbr-history-table', rowClass: 'nbr-history-row' }
          );
  }

  private _detail: IModelDetail | null = null;
  private _editing = false;
  private _message = new Message();
  private _use: UseBar;
  private _aliasForm: AliasForm;
  private _linkForm: LinkForm;
  private _header = h('header', { class: 'nbr-page-header' });
  private _card = h('section', { class: 'nbr-section nbr-card' });
  private _versions = h('section', { class: 'nbr-section', 'data-testid': 'nbr-versions' });
  private _history = h('section', { class: 'nbr-section', 'data-testid': 'nbr-history' });
  private _automations = h('section', { class: 'nbr-section', 'data-testid': 'nbr-automations' });
}
