/**
 * The page of one registered model (main area): header with aliases and tags, the `%use` bar,
 * alias and link forms, the rendered model card (editable), the versions table and alias history.
 */
import { Message as LuminoMessage } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { RegistryModel } from '../model';
import { IModelDetail } from '../tokens';
import { IRegistryActions } from './actions';
export declare class ModelPage extends Widget {
    private readonly _model;
    private readonly _actions;
    readonly modelName: string;
    constructor(_model: RegistryModel, _actions: IRegistryActions, modelName: string);
    /** The last loaded detail (null until loaded). */
    get detail(): IModelDetail | null;
    reload(): Promise<void>;
    protected onAfterShow(msg: LuminoMessage): void;
    private _show;
    private _showCard;
    private _editCard;
    private _versionsTable;
    private _historyTable;
    private _automationsList;
    private _detail;
    private _editing;
    private _message;
    private _use;
    private _aliasForm;
    private _linkForm;
    private _header;
    private _card;
    private _versions;
    private _history;
    private _automations;
}
