import { RegistryModel } from '../model';
import { IModelDetail } from '../tokens';
import { IRegistryActions } from './actions';
/** A line for messages under a form: `ok` or `error`. */
export declare class Message {
    readonly node: HTMLDivElement;
    show(text: string, kind?: 'ok' | 'error'): void;
}
/** `%use model-registry/NAME:SELECTOR` with Copy and Insert into notebook. */
export declare class UseBar {
    private readonly _name;
    private readonly _actions;
    private readonly _message;
    readonly node: HTMLElement;
    constructor(_name: string, _actions: IRegistryActions, _message: Message);
    update(detail: IModelDetail): void;
    get line(): string;
    private _showLine;
    private _copy;
    private _insert;
    private _selector;
    private _line;
}
/** Move an alias (existing or new) to a version; `production` asks for confirmation. Also removes one. */
export declare class AliasForm {
    private readonly _name;
    private readonly _model;
    private readonly _message;
    private readonly _onDetail;
    readonly node: HTMLElement;
    constructor(_name: string, _model: RegistryModel, _message: Message, _onDetail: (detail: IModelDetail) => void);
    update(detail: IModelDetail): void;
    private get _chosenAlias();
    private _syncNew;
    private _move;
    private _remove;
    private _alias;
    private _version;
    private _newAlias;
}
/** Link an artifact version (`project/name:vN` or `name:alias`) to this registered model. */
export declare class LinkForm {
    private readonly _name;
    private readonly _model;
    private readonly _message;
    private readonly _reload;
    readonly node: HTMLElement;
    constructor(_name: string, _model: RegistryModel, _message: Message, _reload: () => Promise<void>);
    private _link;
    private _spec;
    private _aliases;
}
