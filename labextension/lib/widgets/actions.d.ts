/**
 * What a panel can ask of the application. `index.ts` implements it with JupyterLab services
 * (shell, clipboard, notebook tracker, rendermime), so the panels stay plain DOM widgets.
 */
export interface IRegistryActions {
    /** Open (or activate) the page of a registered model in the main area. */
    openModel(name: string): void;
    /** Open the versions of an artifact collection, optionally with one version selected. */
    openCollection(project: string, name: string, version?: string): void;
    /** Open the runs table, optionally for one project. */
    openRuns(project?: string): void;
    /** Open the lineage graph of an artifact spec (`project/name:vN`, `model-registry/NAME:ALIAS`). */
    openLineage(spec: string): void;
    /** Copy a line (e.g. `%use model-registry/churn:production`) to the system clipboard. */
    copy(text: string): void;
    /** Add a code cell holding `line` below the active cell of the current notebook. */
    insertIntoNotebook(line: string): Promise<void>;
    /** Render Markdown (a model card) into `host`, sanitized. */
    renderMarkdown(source: string, host: HTMLElement): Promise<void>;
}
