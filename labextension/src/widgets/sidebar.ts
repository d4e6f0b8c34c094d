/**
 * The "Model Registry" panel of the left sidebar: registered models (aliases, tags, search),
 * artifact collections grouped by type, and entry points to the runs table and lineage graph.
 */
import { refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { RegistryModel } from '../model';
import { ICollection, IModelSummary } from '../tokens';
import { IRegistryActions } from './actions';
import { chip, errorText, h } from './dom';

type Tab = 'models' | 'artifacts' | 'runs';

export class RegistrySidebar extends Widget {
  constructor(
    private readonly _model: RegistryModel,
    private readonly _actions: IRegistryActions
  ) {
    super();
    this.addClass('nbr-sidebar');
    this.node.dataset.testid = 'nbr-sidebar';
    this.title.caption = 'Model Registry';
    this._search = h('input', {
      class: 'jp-mod-styled nbr-search',
      type: 'search',
      placeholder: 'Search models…',
      'data-testid': 'nbr-search',
      oninput: () => this._scheduleSearch()
    });
    this.node.append(this._header(), this._tabBar(), this._search, this._body, this._footer);
    _model.changed.connect(() => this._render(), this);
  }

  protected onAfterShow(msg: Message): void {
    this._model.wake();
    this._render();
  }

  private _header(): HTMLElement {
    const refresh = h('button', {
      class: 'jp-Button jp-mod-minimal nbr-icon-button',
      title: 'Refresh',
      'data-testid': 'nbr-refresh',
      onclick: () => void this._model.refresh(true).catch(() => undefined)
    });
    refreshIcon.element({ container: refresh, tag: 'span' });
    return h('header', { class: 'nbr-sidebar-header' }, h('h2', {}, 'Model Registry'), refresh);
  }

  private _tabBar(): HTMLElement {
    const tabs: [Tab, string][] = [
      ['models', 'Models'],
      ['artifacts', 'Artifacts'],
      ['runs', 'Runs']
    ];
    const bar = h('nav', { class: 'nbr-tabs' });
    for (const [tab, label] of tabs) {
      bar.append(
        h(
          'button',
          {
            class: 'nbr-tab',
            'data-tab': tab,
            'data-testid': `nbr-tab-${tab}`,
            onclick: () => {
              this._tab = tab;
              this._render();
            }
          },
          label
        )
      );
    }
    return bar;
  }

  /** Re-render the current tab from the model (and the server, for artifacts and searches). */
  private _render(): void {
    for (const button of this.node.querySelectorAll<HTMLElement>('.nbr-tab')) {
      button.classList.toggle('nbr-mod-active', button.dataset.tab === this._tab);
    }
    this._search.hidden = this._tab !== 'models';
    const status = this._model.status;
    this._footer.replaceChildren(
      this._model.error
        ? h('span', { class: 'nbr-error', 'data-testid': 'nbr-error' }, this._model.error)
        : status
          ? h('span', { title: `nb_registry ${status.version}` }, status.root)
          : 'Connecting…'
    );
    if (!this.isVisible) {
      return;
    }
    const ticket = ++this._ticket;
    const done = (content: HTMLElement) => {
      if (ticket === this._ticket) {
        this._body.replaceChildren(content);
      }
    };
    const failed = (error: unknown) => done(h('p', { class: 'nbr-error' }, errorText(error)));
    if (this._tab === 'models') {
      this._modelsTab().then(done, failed);
    } else if (this._tab === 'artifacts') {
      this._model.collections().then(c => done(this._artifactsTab(c)), failed);
    } else {
      this._model.projects().then(p => done(this._runsTab(p)), failed);
    }
  }

  private async _modelsTab(): Promise<HTMLElement> {
    const search = this._search.value.trim();
    const models =
      search || this._tag ? await this._model.listModels(this._tag ?? undefined, search) : this._model.models;
    const filter = this._tag
      ? h(
          'div',
          { class: 'nbr-filter' },
          'tag ',
          chip(this._tag, 'tag'),
          h('button', { class: 'nbr-link-button', onclick: () => this._setTag(null) }, 'clear')
        )
      : null;
    const list = h('ul', { class: 'nbr-list', 'data-testid': 'nbr-model-list' }, models.map(m => this._modelRow(m)));
    const empty =
      models.length === 0
        ? h('p', { class: 'nbr-empty' }, search || this._tag ? 'No registered model matches.' : 'No registered models yet. Link one with run.link_artifact(art, "name").')
        : null;
    return h('div', {}, filter, list, empty);
  }

  private _modelRow(m: IModelSummary): HTMLElement {
    const aliases = Object.entries(m.aliases)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([alias, n]) => chip(`${alias}: v${n}`, 'alias'));
    const tags = m.tags.map(t => {
      const c = chip(t, 'tag');
      c.addEventListener('click', event => {
        event.stopPropagation();
        this._setTag(t);
      });
      return c;
    });
    return h(
      'li',
      {
        class: 'nbr-model-row nbr-clickable',
        'data-testid': 'nbr-model-row',
        'data-name': m.name,
        title: m.description ?? m.name,
        onclick: () => this._actions.openModel(m.name)
      },
      h(
        'div',
        { class: 'nbr-row-title' },
        h('span', { class: 'nbr-name' }, m.name),
        h('span', { class: 'nbr-count' }, `${m.versions} version${m.versions === 1 ? '' : 's'}`)
      ),
      m.description ? h('div', { class: 'nbr-description' }, m.description) : null,
      h('div', { class: 'nbr-chips' }, aliases, tags)
    );
  }

  private _artifactsTab(collections: ICollection[]): HTMLElement {
    if (collections.length === 0) {
      return h('p', { class: 'nbr-empty' }, 'No artifacts logged yet.');
    }
    const byType = new Map<string, ICollection[]>();
    for (const c of collections) {
      byType.set(c.type, [...(byType.get(c.type) ?? []), c]);
    }
    const groups = [...byType.keys()].sort().map(type =>
      h(
        'details',
        { class: 'nbr-type-group', open: true, 'data-type': type },
        h('summary', {}, type, h('span', { class: 'nbr-count' }, String(byType.get(type)!.length))),
        h(
          'ul',
          { class: 'nbr-list' },
          byType.get(type)!.map(c =>
            h(
              'li',
              {
                class: 'nbr-collection-row nbr-clickable',
                'data-testid': 'nbr-collection-row',
                'data-name': `${c.project}/${c.name}`,
                onclick: () => this._actions.openCollection(c.project, c.name)
              },
              h('span', { class: 'nbr-name' }, c.name),
              h('span', { class: 'nbr-project' }, c.project)
            )
          )
        )
      )
    );
    return h('div', { 'data-testid': 'nbr-artifacts' }, groups);
  }

  private _runsTab(projects: string[]): HTMLElement {
    const open = (project?: string) => () => this._actions.openRuns(project);
    return h(
      'div',
      { 'data-testid': 'nbr-runs-tab' },
      h('button', { class: 'jp-mod-styled jp-mod-accept nbr-button', 'data-testid': 'nbr-open-runs', onclick: open() }, 'Open runs table'),
      h('h4', {}, 'Projects'),
      h(
        'ul',
        { class: 'nbr-list' },
        projects.map(p => h('li', { class: 'nbr-clickable nbr-project-row', onclick: open(p) }, p))
      ),
      h('h4', {}, 'Lineage'),
      h(
        'button',
        { class: 'jp-mod-styled nbr-button', 'data-testid': 'nbr-open-lineage', onclick: () => this._actions.openLineage('') },
        'Open lineage graph'
      )
    );
  }

  private _setTag(tag: string | null): void {
    this._tag = tag;
    this._render();
  }

  private _scheduleSearch(): void {
    window.clearTimeout(this._searchTimer);
    this._searchTimer = window.setTimeout(() => this._render(), 250);
  }

  private _tab: Tab = 'models';
  private _tag: string | null = null;
  private _ticket = 0;
  private _searchTimer = 0;
  private _search: HTMLInputElement;
  private _body = h('div', { class: 'nbr-sidebar-body' });
  private _footer = h('footer', { class: 'nbr-sidebar-footer', 'data-testid': 'nbr-status' });
}
