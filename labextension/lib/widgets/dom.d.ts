/**
 * Small DOM helpers shared by the panels: an element builder, tables, chips and value formatting.
 */
type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((event: any) => void)>;
/**
 * Create an element: `h('button', {class: 'nbr-x', onclick: fn, 'data-testid': 'nbr-x'}, 'Go')`.
 * `on*` attributes become listeners; `false`/undefined attributes and children are skipped.
 */
export declare function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K];
/** A small rounded label; `alias` chips and `tag` chips are styled differently. */
export declare function chip(text: string, kind?: 'alias' | 'tag' | 'type' | 'state'): HTMLElement;
export interface IColumn<T> {
    title: string;
    cell: (row: T) => Child | Child[];
    className?: string;
}
/** A table with a header row; `onRow` makes rows clickable. */
export declare function table<T>(columns: IColumn<T>[], rows: T[], options?: {
    testid?: string;
    rowClass?: string;
    onRow?: (row: T) => void;
    rowAttrs?: (row: T) => Attrs;
}): HTMLTableElement;
/** `2026-11-22T12:08:12.619+00:00` -> `2026-11-22 12:08` (local time), with the full value as title. */
export declare function when(iso: string | null | undefined): HTMLElement | string;
export declare function bytes(size: number | null | undefined): string;
/** One value of metadata, config or summary, kept short. */
export declare function short(value: unknown): string;
/** `{val_acc: 0.86, epochs: 3}` -> `val_acc=0.86 epochs=3` */
export declare function keyValues(record: Record<string, unknown> | null | undefined): string;
/** A titled block of a page. */
export declare function section(title: string, testid: string, ...children: (Child | Child[])[]): HTMLElement;
/** `<select>` from options; `[value, label]` pairs or plain values. */
export declare function select(options: (string | [string, string])[], attrs?: Attrs): HTMLSelectElement;
export declare function errorText(error: unknown): string;
/** `host.replaceChildren` that skips null, undefined and false children. */
export declare function fill(host: HTMLElement, ...children: (Child | Child[])[]): void;
export {};
