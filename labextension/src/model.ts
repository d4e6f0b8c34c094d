/**
 * RegistryModel: the state shared by the sidebar and the pages (status, registered models, last
 * error) and a signal when the registry changed. It polls `status.generation` every few seconds
 * while something is visible. No DOM here, and no registry logic: every answer comes from the server.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { apiPath, requestAPI } from './handler';
import {
  IArtifactVersion,
  IArtifactVersionDetail,
  ICollection,
  IDiff,
  ILineage,
  ILinkResult,
  IModelDetail,
  IModelPatch,
  IModelSummary,
  IRegistryModel,
  IRunsQuery,
  IRunsTable,
  IStatus,
  IVersionPage,
  IVersionQuery,
  LineageDirection
} from './tokens';

/** The notebook line that loads a registered model: `%use model-registry/NAME:ALIAS`. */
export function useLine(name: string, selector: string): string {
  return `%use model-registry/${name}:${selector}`;
}

export namespace RegistryModel {
  export interface IOptions {
    /** Poll interval in milliseconds (default 3000). */
    interval?: number;
    /** Whether any registry view is visible; polling pauses while this is false. */
    isActive?: () => boolean;
  }
}

export class RegistryModel implements IRegistryModel {
  constructor(options: RegistryModel.IOptions = {}) {
    const isActive = options.isActive ?? (() => true);
    this._poll = new Poll({
      auto: true,
      factory: () => this.refresh(),
      frequency: { interval: options.interval ?? 3000, backoff: true, max: 30000 },
      name: 'nb-registry:status',
      standby: () => (isActive() ? 'when-hidden' : true)
    });
  }

  get status(): IStatus | null {
    return this._status;
  }

  get models(): IModelSummary[] {
    return this._models;
  }

  get error(): string | null {
    return this._error;
  }

  get changed(): ISignal<IRegistryModel, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** Poll now (e.g. when a view becomes visible) instead of waiting for the next tick. */
  wake(): void {
    void this._poll.refresh();
  }

  dispose(): void {
    this._poll.dispose();
    Signal.clearData(this);
  }

  /**
   * Read `status`; when its generation moved (or `force`), reload the model list and emit `changed`.
   * Errors are kept in `error` (and rethrown, so the poll backs off).
   */
  async refresh(force = false): Promise<void> {
    try {
      const status = await requestAPI<IStatus>('status');
      const moved = this._status?.generation !== status.generation;
      this._status = status;
      if (moved || force || this._error !== null) {
        const { models } = await requestAPI<{ models: IModelSummary[] }>('models');
        this._models = models;
        this._error = null;
        this._changed.emit();
      }
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      if (message !== this._error) {
        this._error = message;
        this._changed.emit();
      }
      throw error;
    }
  }

  async listModels(tag?: string, search?: string): Promise<IModelSummary[]> {
    const answer = await requestAPI<{ models: IModelSummary[] }>('models', {}, { tag, search });
    return answer.models;
  }

  getModel(name: string): Promise<IModelDetail> {
    return requestAPI<IModelDetail>(apiPath('models', name));
  }

  updateModel(name: string, patch: IModelPatch): Promise<IModelDetail> {
    return this._write(requestAPI<IModelDetail>(apiPath('models', name), { method: 'PATCH', body: patch }));
  }

  moveAlias(name: string, alias: string, version: string): Promise<IModelDetail> {
    const path = apiPath('models', name, 'aliases', alias);
    return this._write(requestAPI<IModelDetail>(path, { method: 'PUT', body: { version } }));
  }

  removeAlias(name: string, alias: string): Promise<IModelDetail> {
    const path = apiPath('models', name, 'aliases', alias);
    return this._write(requestAPI<IModelDetail>(path, { method: 'DELETE' }));
  }

  link(name: string, artifact: string, aliases: string[]): Promise<ILinkResult> {
    const path = apiPath('models', name, 'links');
    return this._write(requestAPI<ILinkResult>(path, { method: 'POST', body: { artifact, aliases } }));
  }

  async collections(project?: string, type?: string): Promise<ICollection[]> {
    const answer = await requestAPI<{ collections: ICollection[] }>('artifacts', {}, { project, type });
    return answer.collections;
  }

  versions(project: string, name: string, query: IVersionQuery = {}): Promise<IVersionPage> {
    return requestAPI<IVersionPage>(apiPath('artifacts', project, name, 'versions'), {}, { ...query });
  }

  version(project: string, name: string, version: string): Promise<IArtifactVersionDetail> {
    return requestAPI<IArtifactVersionDetail>(apiPath('artifacts', project, name, 'versions', version));
  }

  setArtifactAlias(project: string, name: string, alias: string, version: string): Promise<IArtifactVersion> {
    const path = apiPath('artifacts', project, name, 'aliases', alias);
    return this._write(requestAPI<IArtifactVersion>(path, { method: 'PUT', body: { version } }));
  }

  runs(query: IRunsQuery = {}): Promise<IRunsTable> {
    const filters = query.filters ? JSON.stringify(query.filters) : undefined;
    return requestAPI<IRunsTable>('runs', {}, { ...query, filters });
  }

  /** Projects that hold artifacts or runs. */
  async projects(): Promise<string[]> {
    return (await requestAPI<{ projects: string[] }>('projects')).projects;
  }

  lineage(spec: string, direction: LineageDirection = 'both', depth?: number): Promise<ILineage> {
    return requestAPI<ILineage>('lineage', {}, { spec, direction, depth });
  }

  diff(a: string, b: string): Promise<IDiff> {
    return requestAPI<IDiff>('diff', {}, { a, b });
  }

  /** After a write, refresh at once so every view shows the change without waiting for the poll. */
  private async _write<T>(request: Promise<T>): Promise<T> {
    const result = await request;
    await this.refresh(true).catch(() => undefined);
    return result;
  }

  private _poll: Poll;
  private _status: IStatus | null = null;
  private _models: IModelSummary[] = [];
  private _error: string | null = null;
  private _changed = new Signal<IRegistryModel, void>(this);
}
