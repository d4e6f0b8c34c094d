import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { RegistryModel } from '../model';
import { IRegistryActions } from './actions';
export declare class RegistrySidebar extends Widget {
    private readonly _model;
    private readonly _actions;
    constructor(_model: RegistryModel, _actions: IRegistryActions);
    protected onAfterShow(msg: Message): void;
    private _header;
    private _tabBar;
    /** Re-render the current tab from the model (and the server, for artifacts and searches). */
    private _render;
    private _modelsTab;
    private _modelRow;
    private _artifactsTab;
    private _runsTab;
    private _setTag;
    private _scheduleSearch;
    private _tab;
    private _tag;
    private _ticket;
    private _searchTimer;
    private _search;
    private _body;
    private _footer;
}
