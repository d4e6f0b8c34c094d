/**
 * The runs table (main area): project, a filter document and an order, answered by the server's
 * run query (`GET runs`); config and summary columns as the server lists them.
 */
import { Message as LuminoMessage } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { RegistryModel } from '../model';
import { JSONRecord } from '../tokens';
import { chip, errorText, h, short, table, when } from './dom';

export class RunsPage extends Widget {
  constructor(
    private readonly _model: RegistryModel,
    project?: string
  ) {
    super();
    this.id = 'nbr-runs';
    this.title.label = 'Runs';
    this.title.caption = 'nb_registry runs';
    this.title.closable = true;
    this.addClass('nbr-page');
    this.node.dataset.testid = 'nbr-runs-page';
    const input = (placeholder: string, testid: string, value = '') =>
      h('input', { class: 'jp-mod-styled nbr-input', placeholder, value, 'data-testid': testid, onkeydown: (e: KeyboardEvent) => e.key === 'Enter' && void this.reload() });
    this._project = input('all projects', 'nbr-runs-project', project ?? '');
    this._filters = input('{"summary.acc": {"$gte": 0.9}}', 'nbr-runs-filters');
    this._filters.classList.add('nbr-wide');
    this._order = input('-started_at', 'nbr-runs-order');
    const go = h('button', { class: 'jp-mod-styled jp-mod-accept nbr-button', 'data-testid': 'nbr-runs-go', onclick: () => void this.reload() }, 'Query');
    this.node.append(
      h('header', { class: 'nbr-page-header' }, h('h2', {}, 'Runs')),
      h('div', { class: 'nbr-form' }, h('label', {}, 'Project'), this._project, h('label', {}, 'Filters'), this._filters, h('label', {}, 'Order'), this._order, go),
      this._table
    );
    _model.changed.connect(() => void this.reload(), this);
    void this.reload();
  }

  /** Show one project's runs (used when the page is opened again from the sidebar). */
  setProject(project: string | undefined): void {
    this._project.value = project ?? '';
    void this.reload();
  }

  async reload(): Promise<void> {
    let filters: JSONRecord | undefined;
    try {
      const text = this._filters.value.trim();
      filters = text ? (JSON.parse(text) as JSONRecord) : undefined;
    } catch (error) {
      this._table.replaceChildren(h('p', { class: 'nbr-error' }, `Filters are not valid JSON: ${errorText(error)}`));
      return;
    }
    try {
      const answer = await this._model.runs({
        project: this._project.value.trim() || undefined,
        filters,
        order: this._order.value.trim() || undefined,
        limit: 500
      });
      const columns = answer.columns.map(c => ({ title: c, cell: (row: JSONRecord) => this._cell(c, row[c]) }));
      this._table.replaceChildren(
        h(
          'p',
          { class: 'nbr-count', 'data-testid': 'nbr-runs-count' },
          answer.total > answer.rows.length
            ? `${answer.rows.length} of ${answer.total} runs shown: narrow the filter, or sort to bring the ones you want first`
            : `${answer.rows.length} run(s)`
        ),
        table(columns, answer.rows, { testid: 'nbr-runs-table', rowClass: 'nbr-run-row' })
      );
    } catch (error) {
      this._table.replaceChildren(h('p', { class: 'nbr-error' }, errorText(error)));
    }
  }

  protected onAfterShow(msg: LuminoMessage): void {
    this._model.wake();
  }

  private _cell(column: string, value: unknown): Node | string {
    if (column === 'state' && typeof value === 'string') {
      return chip(value, 'state');
    }
    if (typeof value === 'string' && /_at$/.test(column)) {
      return when(value);
    }
    return short(value);
  }

  private _project: HTMLInputElement;
  private _filters: HTMLInputElement;
  private _order: HTMLInputElement;
  private _table = h('div', { class: 'nbr-section nbr-scroll-x nbr-runs-table-host' });
}
