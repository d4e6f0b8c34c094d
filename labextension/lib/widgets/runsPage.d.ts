/**
 * The runs table (main area): project, a filter document and an order, answered by the server's
 * run query (`GET runs`); config and summary columns as the server lists them.
 */
import { Message as LuminoMessage } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { RegistryModel } from '../model';
export declare class RunsPage extends Widget {
    private readonly _model;
    constructor(_model: RegistryModel, project?: string);
    /** Show one project's runs (used when the page is opened again from the sidebar). */
    setProject(project: string | undefined): void;
    reload(): Promise<void>;
    protected onAfterShow(msg: LuminoMessage): void;
    private _cell;
    private _project;
    private _filters;
    private _order;
    private _table;
}
