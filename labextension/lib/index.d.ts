/**
 * nb-registry: the Model Registry sidebar of JupyterLab. This file only wires the panels to the
 * application (shell, commands, clipboard, notebooks, Markdown rendering); see widgets/ and model.ts.
 */
import { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { LabIcon } from '@jupyterlab/ui-components';
import { IRegistryModel } from './tokens';
export declare const registryIcon: LabIcon;
declare const plugin: JupyterFrontEndPlugin<IRegistryModel>;
export default plugin;
export { IRegistryModel } from './tokens';
