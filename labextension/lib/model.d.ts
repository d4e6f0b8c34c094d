import { ISignal } from '@lumino/signaling';
import { IArtifactVersion, IArtifactVersionDetail, ICollection, IDiff, ILineage, ILinkResult, IModelDetail, IModelPatch, IModelSummary, IRegistryModel, IRunsQuery, IRunsTable, IStatus, IVersionPage, IVersionQuery, LineageDirection } from './tokens';
/** The notebook line that loads a registered model: `%use model-registry/NAME:ALIAS`. */
export declare function useLine(name: string, selector: string): string;
export declare namespace RegistryModel {
    interface IOptions {
        /** Poll interval in milliseconds (default 3000). */
        interval?: number;
        /** Whether any registry view is visible; polling pauses while this is false. */
        isActive?: () => boolean;
    }
}
export declare class RegistryModel implements IRegistryModel {
    constructor(options?: RegistryModel.IOptions);
    get status(): IStatus | null;
    get models(): IModelSummary[];
    get error(): string | null;
    get changed(): ISignal<IRegistryModel, void>;
    get isDisposed(): boolean;
    /** Poll now (e.g. when a view becomes visible) instead of waiting for the next tick. */
    wake(): void;
    dispose(): void;
    /**
     * Read `status`; when its generation moved (or `force`), reload the model list and emit `changed`.
     * Errors are kept in `error` (and rethrown, so the poll backs off).
     */
    refresh(force?: boolean): Promise<void>;
    listModels(tag?: string, search?: string): Promise<IModelSummary[]>;
    getModel(name: string): Promise<IModelDetail>;
    updateModel(name: string, patch: IModelPatch): Promise<IModelDetail>;
    moveAlias(name: string, alias: string, version: string): Promise<IModelDetail>;
    removeAlias(name: string, alias: string): Promise<IModelDetail>;
    link(name: string, artifact: string, aliases: string[]): Promise<ILinkResult>;
    collections(project?: string, type?: string): Promise<ICollection[]>;
    versions(project: string, name: string, query?: IVersionQuery): Promise<IVersionPage>;
    version(project: string, name: string, version: string): Promise<IArtifactVersionDetail>;
    setArtifactAlias(project: string, name: string, alias: string, version: string): Promise<IArtifactVersion>;
    runs(query?: IRunsQuery): Promise<IRunsTable>;
    lineage(spec: string, direction?: LineageDirection, depth?: number): Promise<ILineage>;
    diff(a: string, b: string): Promise<IDiff>;
    /** After a write, refresh at once so every view shows the change without waiting for the poll. */
    private _write;
    private _poll;
    private _status;
    private _models;
    private _error;
    private _changed;
}
