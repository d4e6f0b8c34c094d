/**
 * The versions of one artifact collection (main area), a page at a time, and the detail of the
 * selected version: files, metadata, producing run, used by, aliases, diff against another version.
 */
import { Message as LuminoMessage } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { RegistryModel } from '../model';
import { IRegistryActions } from './actions';
export declare class CollectionPage extends Widget {
    private readonly _model;
    private readonly _actions;
    readonly project: string;
    readonly collection: string;
    constructor(_model: RegistryModel, _actions: IRegistryActions, project: string, collection: string);
    /** Show one version's detail (`v3`), loading it from the server. */
    selectVersion(version: string): Promise<void>;
    protected onAfterShow(msg: LuminoMessage): void;
    private _reload;
    private _go;
    private _showPager;
    private _versionsTable;
    private _showDetail;
    private _diffView;
    private _offset;
    private _page;
    private _selected;
    private _order;
    private _pager;
    private _list;
    private _detail;
    private _message;
}
