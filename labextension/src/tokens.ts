/**
 * The JSON shapes of the nb_registry REST API (`<base_url>/nb-registry/api/`), mirrored one to one,
 * and the token under which the shared registry model is provided to other plugins.
 */
import { Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';

/** JSON metadata, config or summary values as the registry stores them. */
export type JSONRecord = Record<string, unknown>;

/** GET status */
export interface IStatus {
  root: string;
  version: string;
  /** Changes whenever the registry changes: the frontend polls it to know when to refresh. */
  generation: number;
}

/** One entry of GET models. */
export interface IModelSummary {
  name: string;
  description: string | null;
  tags: string[];
  /** `{alias: version number}` */
  aliases: Record<string, number>;
  /** How many versions are linked. */
  versions: number;
  created_at: string | null;
}

/** A version linked to a registered model (GET models/{name} -> versions). */
export interface IModelVersion {
  /** `v0`, `v1`, ... numbered within the registered model. */
  version: string;
  /** The source artifact version, `project/name:vN`. */
  artifact: string;
  digest: string;
  aliases: string[];
  linked_at: string;
  linked_by: string;
  run: string | null;
  metadata: JSONRecord;
  type?: string;
  /** MLflow-style version tags (`set_version_tag`), `{key: value}`. */
  tags?: Record<string, string>;
  /** Set when the source artifact version no longer exists. */
  missing?: boolean;
}

/** One alias move; `from` / `to` are version numbers, null when the alias was created or removed. */
export interface IAliasEvent {
  alias: string;
  from: number | null;
  to: number | null;
  by: string;
  at: string;
}

/** GET models/{name} */
export interface IModelDetail {
  name: string;
  description: string | null;
  model_card: string;
  tags: string[];
  aliases: Record<string, number>;
  versions: IModelVersion[];
  history: IAliasEvent[];
  /** The hooks of *your* configuration (the server owner's) that react to this model. */
  automations: IHook[];
  /** What is wrong with that configuration, or null. */
  automations_error?: string | null;
  /** The automation worker this server runs (`c.NbRegistry.serve_automations`), or null. */
  automation_worker?: { name: string; running: boolean } | null;
  /** The latest deliveries of this model's events, newest first, by any worker. */
  deliveries: IDelivery[];
  deliveries_total?: number;
  created_at?: string | null;
}

/** A hook of the viewer's own automation configuration (never a secret; a webhook by its origin). */
export interface IHook {
  name: string;
  /** A model name or `*`. */
  model: string;
  /** An alias or `*`. */
  alias: string;
  events: ('alias' | 'link')[];
  kind: 'command' | 'webhook';
  /** The command, or the webhook's origin. */
  target: string;
  /** A webhook signed with an HMAC secret. */
  signed: boolean;
  on_remove: boolean;
  since: string | null;
}

/** What a worker did with one event for one hook. */
export interface IDelivery {
  event: number;
  hook: string;
  /** `running`, `delivered`, `failed` (retried with backoff) or `gave_up`. */
  status: string;
  attempts: number;
  at: string;
  worker: string | null;
  /** Exit code and the tail of the output, or the HTTP status. */
  detail: string;
  kind: 'alias' | 'link' | null;
  alias: string | null;
  from: number | null;
  /** The version the alias moved to (or was linked); null when it was removed. */
  version: number | null;
  artifact: string | null;
}

/** PATCH models/{name} */
export interface IModelPatch {
  description?: string;
  model_card?: string;
  tags?: string[];
}

/** POST models/{name}/links */
export interface ILinkResult {
  linked_as: string;
  artifact: string;
}

/** One entry of GET artifacts. */
export interface ICollection {
  project: string;
  name: string;
  type: string;
  created_at: string | null;
}

/** An artifact version (GET artifacts/{project}/{name}/versions). */
export interface IArtifactVersion {
  id: string;
  project?: string;
  name?: string;
  version: string;
  type: string;
  digest: string;
  size: number;
  files: number;
  aliases: string[];
  metadata: JSONRecord;
  created_at: string | null;
  created_by: string | null;
  run: string | null;
}

/** A page of versions, newest first unless asked otherwise. */
export interface IVersionPage {
  versions: IArtifactVersion[];
  total: number;
}

/** One file of a version's manifest. */
export interface IEntry {
  path: string;
  digest: string;
  size: number;
  ref: string | null;
  /** Set when the entry is another artifact version (a sub-model of an ensemble). */
  dependency?: string | null;
}

/** GET artifacts/{project}/{name}/versions/{vN} */
export interface IArtifactVersionDetail extends IArtifactVersion {
  entries: IEntry[];
  used_by: string[];
  producer: string | null;
  linked_as?: string;
}

/** GET runs: a flat table, `config.*` and `summary.*` columns after the base columns. */
export interface IRunsTable {
  columns: string[];
  rows: JSONRecord[];
  /** How many runs match; `rows` holds at most the requested limit of them. */
  total: number;
}

export interface ILineageNode {
  id: string;
  kind: 'artifact' | 'run';
  label: string;
  type?: string;
  name?: string;
  version?: string;
  aliases?: string[];
  [key: string]: unknown;
}

export interface ILineageEdge {
  source: string;
  target: string;
  kind: 'used' | 'produced' | 'depends-on';
}

/** GET lineage: the same graph data the notebook widget renders. */
export interface ILineage {
  root: string;
  nodes: ILineageNode[];
  edges: ILineageEdge[];
}

export type LineageDirection = 'up' | 'down' | 'both';

/** GET diff?a=&b= */
export interface IDiff {
  from: string;
  to: string;
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
  metadata: Record<string, { from: unknown; to: unknown }>;
}

/** Options of GET artifacts/{project}/{name}/versions. */
export interface IVersionQuery {
  limit?: number;
  offset?: number;
  order?: string;
}

/** Options of GET runs. */
export interface IRunsQuery {
  project?: string;
  /** A filter document, e.g. `{"summary.acc": {"$gte": 0.9}}`, sent as JSON. */
  filters?: JSONRecord;
  order?: string;
  limit?: number;
}

/**
 * The registry as the frontend sees it: the list of registered models kept fresh by polling
 * `status.generation`, plus thin calls for everything else. It holds no registry logic.
 */
export interface IRegistryModel {
  readonly status: IStatus | null;
  readonly models: IModelSummary[];
  /** The last error talking to the server, or null. */
  readonly error: string | null;
  /** Emitted after a refresh that found the registry changed (or when `error` changes). */
  readonly changed: ISignal<IRegistryModel, void>;
  refresh(force?: boolean): Promise<void>;
  /** Registered models with a tag and/or matching a search text (`models` holds them all). */
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
}

export const IRegistryModel = new Token<IRegistryModel>(
  'nb-registry:IRegistryModel',
  'The nb_registry model: registered models, artifacts, runs and lineage over the server REST API.'
);
