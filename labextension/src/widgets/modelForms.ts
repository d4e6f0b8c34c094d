/**
 * The action bars of a registered model's page. Each is built once and `update`d with fresh data,
 * so a refresh never wipes what the user is typing or has selected.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';

import { RegistryModel, useLine } from '../model';
import { IModelDetail } from '../tokens';
import { IRegistryActions } from './actions';
import { errorText, h, select } from './dom';

/** Refill a select's options, keeping the current choice when it still exists. */
function setOptions(el: HTMLSelectElement, options: [string, string][], preferred?: string): void {
  const keep = el.value || preferred;
  el.replaceChildren(...options.map(([value, label]) => h('option', { value }, label)));
  if (keep && options.some(([value]) => value === keep)) {
    el.value = keep;
  }
}

/** A line for messages under a form: `ok` or `error`. */
export class Message {
  readonly node = h('div', { class: 'nbr-message', 'data-testid': 'nbr-message', role: 'status' });

  show(text: string, kind: 'ok' | 'error' = 'ok'): void {
    this.node.textContent = text;
    this.node.className = `nbr-message nbr-message-${kind}`;
  }
}

/** `%use model-registry/NAME:SELECTOR` with Copy and Insert into notebook. */
export class UseBar {
  readonly node: HTMLElement;

  constructor(
    private readonly _name: string,
    private readonly _actions: IRegistryActions,
    private readonly _message: Message
  ) {
    this._selector = select([], { 'data-testid': 'nbr-use-select', title: 'alias or version to load' });
    this._selector.addEventListener('change', () => this._showLine());
    const copy = h('button', { class: 'jp-mod-styled nbr-button', 'data-testid': 'nbr-copy-use', onclick: () => this._copy() }, 'Copy');
    const insert = h(
      'button',
      { class: 'jp-mod-styled jp-mod-accept nbr-button', 'data-testid': 'nbr-insert-use', onclick: () => void this._insert() },
      'Insert into notebook'
    );
    this.node = h('div', { class: 'nbr-form nbr-use-bar' }, h('label', {}, 'Load'), this._selector, this._line, copy, insert);
  }

  update(detail: IModelDetail): void {
    const aliases = Object.keys(detail.aliases).sort();
    const versions = detail.versions.map(v => v.version).reverse();
    const preferred = ['production', 'staging'].find(a => aliases.includes(a)) ?? 'latest';
    setOptions(
      this._selector,
      [...aliases, 'latest', ...versions].map(s => [s, s] as [string, string]),
      preferred
    );
    this._showLine();
  }

  get line(): string {
    return useLine(this._name, this._selector.value || 'latest');
  }

  private _showLine(): void {
    this._line.textContent = this.line;
  }

  private _copy(): void {
    this._actions.copy(this.line);
    this._message.show(`Copied: ${this.line}`);
  }

  private async _insert(): Promise<void> {
    try {
      await this._actions.insertIntoNotebook(this.line);
      this._message.show(`Inserted into the notebook: ${this.line}`);
    } catch (error) {
      this._message.show(errorText(error), 'error');
    }
  }

  private _selector: HTMLSelectElement;
  private _line = h('code', { class: 'nbr-use-line', 'data-testid': 'nbr-use-line' });
}

const NEW_ALIAS = '__new__';

/** Move an alias (existing or new) to a version; `production` asks for confirmation. Also removes one. */
export class AliasForm {
  readonly node: HTMLElement;

  constructor(
    private readonly _name: string,
    private readonly _model: RegistryModel,
    private readonly _message: Message,
    private readonly _onDetail: (detail: IModelDetail) => void
  ) {
    this._alias = select([], { 'data-testid': 'nbr-alias-select', title: 'alias' });
    this._alias.addEventListener('change', () => this._syncNew());
    this._version = select([], { 'data-testid': 'nbr-version-select', title: 'version' });
    this._newAlias = h('input', { class: 'jp-mod-styled nbr-input', placeholder: 'new alias', 'data-testid': 'nbr-new-alias' });
    const move = h(
      'button',
      { class: 'jp-mod-styled jp-mod-accept nbr-button', 'data-testid': 'nbr-move-alias', onclick: () => void this._move() },
      'Move alias'
    );
    const remove = h(
      'button',
      { class: 'jp-mod-styled nbr-button', 'data-testid': 'nbr-remove-alias', onclick: () => void this._remove() },
      'Remove'
    );
    this.node = h(
      'div',
      { class: 'nbr-form nbr-alias-form' },
      h('label', {}, 'Alias'),
      this._alias,
      this._newAlias,
      h('label', {}, 'to'),
      this._version,
      move,
      remove
    );
  }

  update(detail: IModelDetail): void {
    const aliases = [...new Set(['production', 'staging', ...Object.keys(detail.aliases)])].sort();
    setOptions(this._alias, [
      ...aliases.map(a => [a, a in detail.aliases ? `${a} (v${detail.aliases[a]})` : a] as [string, string]),
      [NEW_ALIAS, 'new alias…']
    ]);
    setOptions(
      this._version,
      detail.versions.map(v => [v.version, `${v.version}  ${v.artifact}`] as [string, string]).reverse()
    );
    this._syncNew();
  }

  private get _chosenAlias(): string {
    return this._alias.value === NEW_ALIAS ? this._newAlias.value.trim() : this._alias.value;
  }

  private _syncNew(): void {
    this._newAlias.hidden = this._alias.value !== NEW_ALIAS;
  }

  private async _move(): Promise<void> {
    const alias = this._chosenAlias;
    const version = this._version.value;
    if (!alias || !version) {
      this._message.show('Choose an alias and a version.', 'error');
      return;
    }
    if (alias === 'production') {
      const result = await showDialog({
        title: 'Move production?',
        body: `Point ${this._name}:production at ${version}? Anything loading model-registry/${this._name}:production will get the new version.`,
        buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Move production' })]
      });
      if (!result.button.accept) {
        return;
      }
    }
    try {
      this._onDetail(await this._model.moveAlias(this._name, alias, version));
      this._message.show(`${alias} → ${version}`);
    } catch (error) {
      this._message.show(errorText(error), 'error');
    }
  }

  private async _remove(): Promise<void> {
    const alias = this._chosenAlias;
    if (!alias) {
      this._message.show('Choose the alias to remove.', 'error');
      return;
    }
    const result = await showDialog({
      title: 'Remove alias?',
      body: `Remove ${this._name}:${alias}? The versions stay; only the alias goes (it is recorded in the history).`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Remove' })]
    });
    if (!result.button.accept) {
      return;
    }
    try {
      this._onDetail(await this._model.removeAlias(this._name, alias));
      this._message.show(`Removed ${alias}`);
    } catch (error) {
      this._message.show(errorText(error), 'error');
    }
  }

  private _alias: HTMLSelectElement;
  private _version: HTMLSelectElement;
  private _newAlias: HTMLInputElement;
}

/** Link an artifact version (`project/name:vN` or `name:alias`) to this registered model. */
export class LinkForm {
  readonly node: HTMLElement;

  constructor(
    private readonly _name: string,
    private readonly _model: RegistryModel,
    private readonly _message: Message,
    private readonly _reload: () => Promise<void>
  ) {
    this._spec = h('input', { class: 'jp-mod-styled nbr-input nbr-wide', placeholder: 'project/name:vN', 'data-testid': 'nbr-link-spec' });
    this._aliases = h('input', { class: 'jp-mod-styled nbr-input', placeholder: 'aliases (comma separated)', 'data-testid': 'nbr-link-aliases' });
    const link = h('button', { class: 'jp-mod-styled nbr-button', 'data-testid': 'nbr-link', onclick: () => void this._link() }, 'Link version');
    this.node = h('div', { class: 'nbr-form nbr-link-form' }, h('label', {}, 'Link'), this._spec, this._aliases, link);
  }

  private async _link(): Promise<void> {
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
    } catch (error) {
      this._message.show(errorText(error), 'error');
    }
  }

  private _spec: HTMLInputElement;
  private _aliases: HTMLInputElement;
}
