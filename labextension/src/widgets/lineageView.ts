/**
 * The lineage graph of an artifact version (main area), drawn with cytoscape.js and a layered
 * dagre layout that flows upwards: data at the bottom, an ensemble above its sub-models.
 * cytoscape is loaded on first use, so it costs nothing until a graph is opened.
 */
import { Message as LuminoMessage } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import type { Core, ElementDefinition, StylesheetJson } from 'cytoscape';

import { RegistryModel } from '../model';
import { ILineage, ILineageNode, LineageDirection } from '../tokens';
import { IRegistryActions } from './actions';
import { errorText, h, keyValues, select } from './dom';

async function loadCytoscape(): Promise<typeof import('cytoscape')> {
  const [{ default: cytoscape }, { default: dagre }] = await Promise.all([import('cytoscape'), import('cytoscape-dagre')]);
  cytoscape.use(dagre);
  return cytoscape;
}

let cytoscapeLoaded: ReturnType<typeof loadCytoscape> | null = null;

const STYLE: StylesheetJson = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      'font-size': 11,
      'text-valign': 'center',
      'text-halign': 'center',
      'text-wrap': 'ellipsis',
      'text-max-width': '170px',
      width: 'data(width)',
      height: 30,
      shape: 'round-rectangle',
      'background-color': '#e3f2fd',
      'border-width': 1,
      'border-color': '#1976d2',
      color: '#0d2a4a'
    }
  },
  { selector: 'node[kind = "run"]', style: { shape: 'ellipse', 'background-color': '#eeeeee', 'border-color': '#757575' } },
  { selector: 'node[type = "dataset"]', style: { 'background-color': '#e8f5e9', 'border-color': '#388e3c' } },
  { selector: 'node[?registered]', style: { 'border-width': 3 } },
  { selector: 'node.nbr-root', style: { 'background-color': '#fff3e0', 'border-color': '#ef6c00', 'border-width': 3 } },
  {
    selector: 'edge',
    style: {
      width: 1.5,
      'curve-style': 'bezier',
      'target-arrow-shape': 'triangle',
      'line-color': '#9e9e9e',
      'target-arrow-color': '#9e9e9e'
    }
  },
  { selector: 'edge[kind = "depends-on"]', style: { 'line-style': 'dashed', 'line-color': '#ef6c00', 'target-arrow-color': '#ef6c00' } }
];

export class LineageView extends Widget {
  constructor(
    private readonly _model: RegistryModel,
    private readonly _actions: IRegistryActions,
    spec: string
  ) {
    super();
    this.id = 'nbr-lineage';
    this.title.label = 'Lineage';
    this.title.closable = true;
    this.addClass('nbr-page');
    this.addClass('nbr-lineage');
    this.node.dataset.testid = 'nbr-lineage-page';
    this._spec = h('input', { class: 'jp-mod-styled nbr-input nbr-wide', placeholder: 'project/name:vN or model-registry/NAME:ALIAS', value: spec, 'data-testid': 'nbr-lineage-spec' });
    this._direction = select(['both', 'up', 'down'], { 'data-testid': 'nbr-lineage-direction' });
    this._depth = h('input', { class: 'jp-mod-styled nbr-input nbr-narrow', type: 'number', min: 1, placeholder: 'depth' });
    const show = h('button', { class: 'jp-mod-styled jp-mod-accept nbr-button', 'data-testid': 'nbr-lineage-show', onclick: () => void this.reload() }, 'Show');
    this.node.append(
      h('div', { class: 'nbr-form' }, h('label', {}, 'Lineage of'), this._spec, this._direction, this._depth, show),
      this._info,
      this._canvas
    );
    _model.changed.connect(() => void this.reload(), this);
  }

  /** Show the graph of another spec. */
  setSpec(spec: string): void {
    this._spec.value = spec;
    void this.reload();
  }

  async reload(): Promise<void> {
    const spec = this._spec.value.trim();
    if (!this.isAttached) {
      return;
    }
    if (!spec) {
      this._info.textContent = 'Enter an artifact version to see what made it and what was made from it.';
      return;
    }
    try {
      const depth = this._depth.value ? Number(this._depth.value) : undefined;
      const graph = await this._model.lineage(spec, this._direction.value as LineageDirection, depth);
      this.title.label = `Lineage: ${spec}`;
      await this._draw(graph);
      this._info.className = 'nbr-info';
      this._info.textContent = `${graph.nodes.length} nodes, ${graph.edges.length} edges. Click an artifact to open it.`;
    } catch (error) {
      // never leave the previous graph under another spec's name
      this._cy?.destroy();
      this._cy = null;
      this._canvas.replaceChildren();
      this.title.label = `Lineage: ${spec}`;
      this._info.className = 'nbr-info nbr-error';
      this._info.textContent = errorText(error);
    }
  }

  protected onAfterAttach(msg: LuminoMessage): void {
    void this.reload();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    this._cy?.resize();
  }

  protected onAfterShow(msg: LuminoMessage): void {
    this._model.wake();
    this._cy?.resize();
  }

  dispose(): void {
    this._cy?.destroy();
    this._cy = null;
    super.dispose();
  }

  private async _draw(graph: ILineage): Promise<void> {
    cytoscapeLoaded = cytoscapeLoaded ?? loadCytoscape();
    const cytoscape = await cytoscapeLoaded;
    const elements: ElementDefinition[] = [
      ...graph.nodes.map(n => ({
        data: { ...n, width: Math.min(190, Math.max(70, n.label.length * 6.5 + 20)) },
        classes: n.id === graph.root ? 'nbr-root' : ''
      })),
      ...graph.edges.map((e, i) => ({ data: { id: `e${i}`, source: e.source, target: e.target, kind: e.kind } }))
    ];
    this._cy?.destroy();
    const cy = (this._cy = cytoscape({ container: this._canvas, elements, style: STYLE }));
    cy.layout({ name: 'dagre', rankDir: 'BT', nodeSep: 24, rankSep: 56, fit: true, padding: 20 } as any).run();
    cy.on('tap', 'node', event => this._open(event.target.data() as ILineageNode));
    cy.on('mouseover', 'node', event => {
      const n = event.target.data() as ILineageNode;
      this._canvas.title = [n.label, keyValues((n.metadata ?? n.summary) as Record<string, unknown>)].filter(Boolean).join('\n');
    });
  }

  private _open(node: ILineageNode): void {
    if (node.kind === 'artifact' && node.project && node.name && node.version) {
      this._actions.openCollection(String(node.project), node.name, node.version);
    } else if (node.kind === 'run') {
      this._actions.openRuns(node.project ? String(node.project) : undefined);
    }
  }

  private _spec: HTMLInputElement;
  private _direction: HTMLSelectElement;
  private _depth: HTMLInputElement;
  private _cy: Core | null = null;
  private _info = h('p', { class: 'nbr-count', 'data-testid': 'nbr-lineage-info' });
  private _canvas = h('div', { class: 'nbr-graph', 'data-testid': 'nbr-lineage-graph' });
}
