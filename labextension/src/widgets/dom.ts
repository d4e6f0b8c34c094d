/**
 * Small DOM helpers shared by the panels: an element builder, tables, chips and value formatting.
 */

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((event: any) => void)>;

/**
 * Create an element: `h('button', {class: 'nbr-x', onclick: fn, 'data-testid': 'nbr-x'}, 'Go')`.
 * `on*` attributes become listeners; `false`/undefined attributes and children are skipped.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) {
      continue;
    }
    if (typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'value' && 'value' in el) {
      (el as HTMLInputElement).value = String(value);
    } else {
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
export function chip(text: string, kind: 'alias' | 'tag' | 'type' | 'state' = 'tag'): HTMLElement {
  return h('span', { class: `nbr-chip nbr-chip-${kind}`, title: text }, text);
}

export interface IColumn<T> {
  title: string;
  cell: (row: T) => Child | Child[];
  className?: string;
}

/** A table with a header row; `onRow` makes rows clickable. */
export function table<T>(
  columns: IColumn<T>[],
  rows: T[],
  options: { testid?: string; rowClass?: string; onRow?: (row: T) => void; rowAttrs?: (row: T) => Attrs } = {}
): HTMLTableElement {
  const head = h('tr', {}, columns.map(c => h('th', { class: c.className }, c.title)));
  const body = rows.map(row =>
    h(
      'tr',
      {
        class: [options.rowClass, options.onRow ? 'nbr-clickable' : undefined].filter(Boolean).join(' ') || undefined,
        onclick: options.onRow ? () => options.onRow!(row) : undefined,
        ...(options.rowAttrs ? options.rowAttrs(row) : {})
      },
      columns.map(c => h('td', { class: c.className }, c.cell(row)))
    )
  );
  return h(
    'table',
    { class: 'nbr-table', 'data-testid': options.testid },
    h('thead', {}, head),
    h('tbody', {}, body)
  );
}

/** `2026-11-22T12:08:12.619+00:00` -> `2026-11-22 12:08` (local time), with the full value as title. */
export function when(iso: string | null | undefined): HTMLElement | string {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  if (isNaN(date.getTime())) {
    return iso;
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  const text =
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  return h('span', { title: iso }, text);
}

export function bytes(size: number | null | undefined): string {
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
export function short(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (Array.isArray(value) && value.every(v => typeof v !== 'object' || v === null)) {
    return value.join(', ');
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 60 ? text.slice(0, 57) + '…' : text;
}

/** `{val_acc: 0.86, epochs: 3}` -> `val_acc=0.86 epochs=3` */
export function keyValues(record: Record<string, unknown> | null | undefined): string {
  return Object.entries(record ?? {})
    .map(([k, v]) => `${k}=${short(v)}`)
    .join('  ');
}

/** A titled block of a page. */
export function section(title: string, testid: string, ...children: (Child | Child[])[]): HTMLElement {
  return h('section', { class: 'nbr-section', 'data-testid': testid }, h('h3', {}, title), ...children);
}

/** `<select>` from options; `[value, label]` pairs or plain values. */
export function select(
  options: (string | [string, string])[],
  attrs: Attrs = {}
): HTMLSelectElement {
  const el = h('select', { class: 'nbr-select', ...attrs });
  for (const option of options) {
    const [value, label] = Array.isArray(option) ? option : [option, option];
    el.append(h('option', { value }, label));
  }
  return el;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `host.replaceChildren` that skips null, undefined and false children. */
export function fill(host: HTMLElement, ...children: (Child | Child[])[]): void {
  host.replaceChildren(...children.flat().filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}
