/**
 * The versions of one artifact collection (main area), a page at a time, and the detail of the
 * selected version: files, metadata, producing run, used by, aliases, diff against another version.
 */
import { Message as LuminoMessage } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { RegistryModel } from '../model';
import { IArtifactVersion, IArtifactVersionDetail, IDiff, IEntry } from '../tokens';
import { IRegistryActions } from './actions';
import { bytes, chip, errorText, fill, h, keyValues, section, select, short, table, when } from './dom';
import { Message } from './modelForms';

const PAGE = 20;

export class CollectionPage extends Widget {
  constructor(
    private readonly _model: RegistryModel,
    private readonly _actions: IRegistryActions,
    readonly project: string,
    readonly collection: string
  ) {
    super();
    this.id = `nbr-collection-${project}/${collection}`; // names hold no '/': one page per collection
    this.title.label = `${collection}`;
    this.title.caption = `Artifact ${project}/${collection}`;
    this.title.closable = true;
    this.addClass('nbr-page');
    this.node.dataset.testid = 'nbr-collection-page';
    this._order = select(
      [
        ['-version', 'Newest first'],
        ['version', 'Oldest first']
      ],
      { 'data-testid': 'nbr-order', onchange: () => this._go(0) }
    );
    this.node.append(
      h('header', { class: 'nbr-page-header' }, h('h2', {}, h('span', { class: 'nbr-kicker' }, `${project}/`), collection)),
      h('div', { class: 'nbr-form' }, h('label', {}, 'Order'), this._order, this._pager),
      this._list,
      this._detail,
      this._message.node
    );
    _model.changed.connect(() => void this._reload(), this);
    void this._go(0);
  }

  /** Show one version's detail (`v3`), loading it from the server. */
  async selectVersion(version: string): Promise<void> {
    this._selected = version;
    try {
      const detail = await this._model.version(this.project, this.collection, version);
      this._showDetail(detail);
    } catch (error) {
      this._detail.replaceChildren(h('p', { class: 'nbr-error' }, errorText(error)));
    }
    for (const row of this._list.querySelectorAll<HTMLElement>('tr[data-version]')) {
      row.classList.toggle('nbr-mod-selected', row.dataset.version === version);
    }
  }

  protected onAfterShow(msg: LuminoMessage): void {
    this._model.wake();
  }

  private async _reload(): Promise<void> {
    await this._go(this._offset);
    if (this._selected) {
      await this.selectVersion(this._selected);
    }
  }

  private async _go(offset: number): Promise<void> {
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
    } catch (error) {
      this._list.replaceChildren(h('p', { class: 'nbr-error' }, errorText(error)));
    }
  }

  private _showPager(total: number): void {
    const last = Math.min(this._offset + PAGE, total);
    const button = (label: string, offset: number, enabled: boolean, testid: string) =>
      h('button', { class: 'jp-mod-styled nbr-button nbr-small', disabled: !enabled, 'data-testid': testid, onclick: () => void this._go(offset) }, label);
    this._pager.replaceChildren(
      button('‹ Prev', Math.max(0, this._offset - PAGE), this._offset > 0, 'nbr-prev'),
      h('span', { class: 'nbr-count' }, total ? `${this._offset + 1}–${last} of ${total}` : '0 versions'),
      button('Next ›', this._offset + PAGE, last < total, 'nbr-next')
    );
  }

  private _versionsTable(versions: IArtifactVersion[]): HTMLElement {
    return table<IArtifactVersion>(
      [
        { title: 'Version', cell: v => h('strong', {}, v.version) },
        { title: 'Aliases', cell: v => v.aliases.map(a => chip(a, 'alias')) },
        { title: 'Metadata', cell: v => keyValues(v.metadata), className: 'nbr-meta' },
        { title: 'Files', cell: v => String(v.files) },
        { title: 'Size', cell: v => bytes(v.size) },
        { title: 'Created', cell: v => [when(v.created_at), v.created_by ? ` by ${v.created_by}` : ''] },
        { title: 'Run', cell: v => v.run ?? '' }
      ],
      versions,
      {
        testid: 'nbr-artifact-versions',
        rowClass: 'nbr-artifact-version-row',
        rowAttrs: v => ({ 'data-version': v.version }),
        onRow: v => void this.selectVersion(v.version)
      }
    );
  }

  private _showDetail(d: IArtifactVersionDetail): void {
    const spec = `${this.project}/${this.collection}:${d.version}`;
    const line = `%use ${spec}`;
    const aliasInput = h('input', { class: 'jp-mod-styled nbr-input', placeholder: 'alias', 'data-testid': 'nbr-artifact-alias' });
    const setAlias = async () => {
      if (!aliasInput.value.trim()) {
        this._message.show('Type the alias to set on this version.', 'error');
        return;
      }
      try {
        await this._model.setArtifactAlias(this.project, this.collection, aliasInput.value.trim(), d.version);
        this._message.show(`${aliasInput.value.trim()} → ${d.version}`);
      } catch (error) {
        this._message.show(errorText(error), 'error');
      }
    };
    const others = this._page.filter(v => v.version !== d.version).map(v => v.version);
    const against = select(others, { 'data-testid': 'nbr-diff-select' });
    const diffHost = h('div', { class: 'nbr-diff' });
    const diff = async () => {
      try {
        diffHost.replaceChildren(this._diffView(await this._model.diff(`${this.project}/${this.collection}:${against.value}`, spec)));
      } catch (error) {
        diffHost.replaceChildren(h('p', { class: 'nbr-error' }, errorText(error)));
      }
    };
    const button = (label: string, onclick: () => void, testid?: string) =>
      h('button', { class: 'jp-mod-styled nbr-button', onclick, 'data-testid': testid }, label);
    fill(
      this._detail,
      h('h3', {}, spec, ' ', d.aliases.map(a => chip(a, 'alias'))),
      h(
        'dl',
        { class: 'nbr-facts' },
        h('dt', {}, 'Digest'), h('dd', {}, h('code', {}, d.digest)),
        h('dt', {}, 'Size'), h('dd', {}, `${bytes(d.size)} in ${d.files} file(s)`),
        h('dt', {}, 'Created'), h('dd', {}, when(d.created_at), d.created_by ? ` by ${d.created_by}` : ''),
        h('dt', {}, 'Produced by'), h('dd', {}, d.producer ?? '—'),
        h('dt', {}, 'Used by'), h('dd', {}, d.used_by.length ? d.used_by.join(', ') : '—')
      ),
      h(
        'div',
        { class: 'nbr-form' },
        h('code', { class: 'nbr-use-line' }, line),
        button('Copy', () => this._actions.copy(line)),
        button('Insert into notebook', () => void this._actions.insertIntoNotebook(line).catch(e => this._message.show(errorText(e), 'error'))),
        button('Lineage', () => this._actions.openLineage(spec), 'nbr-artifact-lineage')
      ),
      h('div', { class: 'nbr-form' }, h('label', {}, 'Alias'), aliasInput, button('Set alias', () => void setAlias())),
      others.length ? h('div', { class: 'nbr-form' }, h('label', {}, 'Diff from'), against, button('Diff', () => void diff())) : null,
      diffHost,
      section(
        'Metadata',
        'nbr-metadata',
        table(
          [
            { title: 'Key', cell: ([k]: [string, unknown]) => k },
            { title: 'Value', cell: ([, v]: [string, unknown]) => short(v) }
          ],
          Object.entries(d.metadata)
        )
      ),
      section(
        `Files (${d.entries.length})`,
        'nbr-files',
        table<IEntry>(
          [
            { title: 'Path', cell: e => e.path },
            { title: 'Size', cell: e => bytes(e.size) },
            { title: 'Digest', cell: e => h('code', { title: e.digest }, e.digest.slice(0, 12)) },
            { title: 'Reference', cell: e => e.ref ?? e.dependency ?? '' }
          ],
          d.entries
        )
      )
    );
  }

  private _diffView(d: IDiff): HTMLElement {
    const list = (title: string, names: string[]) =>
      names.length ? h('div', {}, h('strong', {}, `${title}: `), names.join(', ')) : null;
    const meta = Object.entries(d.metadata).map(([k, c]) => `${k}: ${short(c.from)} → ${short(c.to)}`);
    return h(
      'div',
      { 'data-testid': 'nbr-diff' },
      h('div', {}, `${d.from} → ${d.to}`),
      list('Added', d.added),
      list('Removed', d.removed),
      list('Changed', d.changed),
      list('Metadata', meta),
      d.added.length + d.removed.length + d.changed.length + meta.length === 0 ? h('div', {}, 'No differences.') : null
    );
  }

  private _offset = 0;
  private _page: IArtifactVersion[] = [];
  private _selected: string | null = null;
  private _order: HTMLSelectElement;
  private _pager = h('span', { class: 'nbr-pager' });
  private _list = h('div', { class: 'nbr-section' });
  private _detail = h('div', { class: 'nbr-section nbr-version-detail', 'data-testid': 'nbr-version-detail' });
  private _message = new Message();
}
