/**
 * nb-registry: the Model Registry sidebar of JupyterLab. This file only wires the panels to the
 * application (shell, commands, clipboard, notebooks, Markdown rendering); see widgets/ and model.ts.
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Clipboard, ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { RegistryModel } from './model';
import { IRegistryModel } from './tokens';
import { IRegistryActions } from './widgets/actions';
import { CollectionPage } from './widgets/collectionPage';
import { LineageView } from './widgets/lineageView';
import { ModelPage } from './widgets/modelPage';
import { RunsPage } from './widgets/runsPage';
import { RegistrySidebar } from './widgets/sidebar';

export const registryIcon = new LabIcon({
  name: 'nb-registry:registry',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<path d="M12 2 3 6.5v11L12 22l9-4.5v-11L12 2zm0 2.2 6.6 3.3L12 10.8 5.4 7.5 12 4.2zM5 9.1l6 3v7.6l-6-3V9.1zm8 10.6v-7.6l6-3v7.6l-6 3z"/>' +
    '</g></svg>'
});

namespace CommandIDs {
  export const open = 'nb-registry:open';
  export const openRuns = 'nb-registry:open-runs';
  export const openLineage = 'nb-registry:open-lineage';
}

function activate(
  app: JupyterFrontEnd,
  tracker: INotebookTracker | null,
  rendermime: IRenderMimeRegistry | null,
  palette: ICommandPalette | null,
  restorer: ILayoutRestorer | null
): IRegistryModel {
  const pages = new Map<string, Widget>();
  let sidebar: RegistrySidebar | undefined;
  const isActive = () => !!sidebar?.isVisible || [...pages.values()].some(w => w.isVisible);
  const model = new RegistryModel({ interval: 3000, isActive });

  /** Show a main-area page, reusing the open one with the same id. */
  function show<T extends Widget>(id: string, create: () => T): T {
    let page = pages.get(id) as T | undefined;
    if (!page || page.isDisposed) {
      page = create();
      page.title.icon = registryIcon;
      pages.set(id, page);
      page.disposed.connect(() => pages.delete(id));
      app.shell.add(page, 'main');
    }
    app.shell.activateById(page.id);
    return page;
  }

  const actions: IRegistryActions = {
    openModel: name => void show(`nbr-model-${name}`, () => new ModelPage(model, actions, name)),
    openCollection: (project, name, version) => {
      const page = show(`nbr-collection-${project}/${name}`, () => new CollectionPage(model, actions, project, name));
      if (version) {
        void page.selectVersion(version);
      }
    },
    openRuns: project => {
      const existing = pages.has('nbr-runs');
      const page = show('nbr-runs', () => new RunsPage(model, project));
      if (existing) {
        page.setProject(project);
      }
    },
    openLineage: spec => {
      const existing = pages.has('nbr-lineage');
      const page = show('nbr-lineage', () => new LineageView(model, actions, spec));
      if (existing && spec) {
        page.setSpec(spec);
      }
    },
    copy: text => Clipboard.copyToSystem(text),
    insertIntoNotebook: async line => {
      const panel = tracker?.currentWidget;
      if (!panel) {
        throw new Error('Open a notebook first: the line goes below its active cell.');
      }
      await panel.context.ready;
      const notebook = panel.content;
      const active = notebook.activeCell;
      if (!(active && active.model.type === 'code' && active.model.sharedModel.getSource().trim() === '')) {
        NotebookActions.insertBelow(notebook);
        NotebookActions.changeCellType(notebook, 'code');
      }
      notebook.activeCell?.model.sharedModel.setSource(line);
      app.shell.activateById(panel.id);
    },
    renderMarkdown: async (source, host) => {
      // a card is a document to read: a <form> the sanitizer lets through must not submit (it reloads the page)
      if (!host.dataset.nbrNoSubmit) {
        host.addEventListener('submit', event => event.preventDefault(), true);
        host.dataset.nbrNoSubmit = '1';
      }
      if (!rendermime) {
        host.replaceChildren(Object.assign(document.createElement('pre'), { textContent: source }));
        return;
      }
      const renderer = rendermime.createRenderer('text/markdown');
      await renderer.renderModel(new MimeModel({ data: { 'text/markdown': source }, trusted: false }));
      host.replaceChildren();
      if (host.isConnected) {
        Widget.attach(renderer, host);
      } else {
        host.append(renderer.node);
      }
    }
  };

  sidebar = new RegistrySidebar(model, actions);
  sidebar.id = 'nb-registry-sidebar';
  sidebar.title.icon = registryIcon;
  app.shell.add(sidebar, 'left', { rank: 1000 });
  restorer?.add(sidebar, 'nb-registry-sidebar');

  app.commands.addCommand(CommandIDs.open, {
    label: 'Open Model Registry',
    icon: registryIcon,
    execute: () => app.shell.activateById('nb-registry-sidebar')
  });
  app.commands.addCommand(CommandIDs.openRuns, {
    label: 'Model Registry: Runs Table',
    execute: args => actions.openRuns(args.project as string | undefined)
  });
  app.commands.addCommand(CommandIDs.openLineage, {
    label: 'Model Registry: Lineage Graph',
    execute: args => actions.openLineage((args.spec as string | undefined) ?? '')
  });
  for (const command of [CommandIDs.open, CommandIDs.openRuns, CommandIDs.openLineage]) {
    palette?.addItem({ command, category: 'Model Registry' });
  }
  return model;
}

const plugin: JupyterFrontEndPlugin<IRegistryModel> = {
  id: 'nb-registry:plugin',
  description: 'A Model Registry sidebar over the nb_registry server extension.',
  autoStart: true,
  provides: IRegistryModel,
  optional: [INotebookTracker, IRenderMimeRegistry, ICommandPalette, ILayoutRestorer],
  activate
};

export default plugin;
export { IRegistryModel } from './tokens';
