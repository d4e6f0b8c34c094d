/**
 * The lineage graph of an artifact version (main area), drawn with cytoscape.js and a layered
 * dagre layout that flows upwards: data at the bottom, an ensemble above its sub-models.
 * cytoscape is loaded on first use, so it costs nothing until a graph is opened.
 */
import { Message as LuminoMessage } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { RegistryModel } from '../model';
import { IRegistryActions } from './actions';
export declare class LineageView extends Widget {
    private readonly _model;
    private readonly _actions;
    constructor(_model: RegistryModel, _actions: IRegistryActions, spec: string);
    /** Show the graph of another spec. */
    setSpec(spec: string): void;
    reload(): Promise<void>;
    protected onAfterAttach(msg: LuminoMessage): void;
    protected onResize(msg: Widget.ResizeMessage): void;
    protected onAfterShow(msg: LuminoMessage): void;
    dispose(): void;
    private _draw;
    private _open;
    private _spec;
    private _direction;
    private _depth;
    private _cy;
    private _info;
    private _canvas;
}
