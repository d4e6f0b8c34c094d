/**
 * The JSON shapes of the nb_registry REST API (`<base_url>/nb-registry/api/`), mirrored one to one,
 * and the token under which the shared registry model is provided to other plugins.
 */
import { Token } from '@lumino/coreutils';
export const IRegistryModel = new Token('nb-registry:IRegistryModel', 'The nb_registry model: registered models, artifacts, runs and lineage over the server REST API.');
