/**
 * A MIME renderer for large lineage graphs: `application/vnd.nb-registry.lineage+json`.
 *
 * `%lineage` (nb_registry.widgets.lineage_view.show_lineage) sends graphs above a few hundred nodes as one
 * display message holding the cytoscape elements, positions included (nb_registry.graph_layout), instead of
 * one ipycytoscape widget per node and edge. This renderer draws them with cytoscape.js (preset layout, the
 * styles of the Python widget), fits the view and shows a clicked node's details beside the graph; it needs no
 * kernel, so a saved notebook shows the graph again when reopened. The bundle also carries the graph as
 * `text/html` SVG for static renderers (GitHub, nbviewer); this renderer ranks before HTML, so JupyterLab
 * picks it.
 *
 * The data may come from an untrusted notebook (the renderer is `safe`): it only becomes cytoscape data,
 * canvas text and `textContent`, never HTML or a stylesheet.
 */
import type { IRenderMime } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';
import type { Core, EdgeDefinition, ElementDefinition, NodeDefinition, StylesheetJson } from 'cytoscape';

import { h } from './widgets/dom';

export const MIME_TYPE = 'application/vnd.nb-registry.lineage+json';

/** What the kernel sends (see `lineage_mime_data` in nb_registry/widgets/lineage_view.py). */
export interface ILineageMimeData {
  version?: number;
  root?: string | null;
  nodes: { data: Record<string, unknown>; position: { x: number; y: number }; classes?: string }[];
  edges: {
    data: Record<string, unknown>;
    classes?: string;
    segments?: { weights: number[]; distances: number[] };
  }[];
}

const NODE_HEIGHT = 34; // nb_registry.graph_layout.NODE_HEIGHT
const HEIGHT = '520px';
const COLOR = /^#[0-9a-fA-F]{3,8}$/;

/** The stylesheet of the Python widget (`cytoscape_style`): runs grey ellipses, artifacts boxes coloured by type. */
const STYLE: StylesheetJson = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      width: 'data(w)',
      height: NODE_HEIGHT,
      shape: 'round-rectangle',
      'background-color': 'data(color)',
      color: '#ffffff',
      'font-size': 12,
      'font-family': 'monospace',
      'text-valign': 'center',
      'text-halign': 'center',
      'border-width': 1.5,
      'border-color': '#ffffff',
      // at the zoom that fits hundreds of nodes labels are a pixel high: skip drawing them until zoomed in
      'min-zoomed-font-size': 5
    }
  },
  { selector: 'node.run', style: { shape: 'ellipse', 'background-opacity': 0.45, color: '#1d1d1d' } },
  { selector: 'node.registered', style: { 'border-width': 3, 'border-color': '#e0a800' } },
  { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#222222' } },
  {
    selector: 'edge',
    style: {
      width: 1.6,
      'line-color': 'data(color)',
      'target-arrow-color': 'data(color)',
      'target-arrow-shape': 'triangle',
      'curve-style': 'straight',
      'arrow-scale': 1.1
    }
  },
  { selector: 'edge.depends-on', style: { 'line-style': 'dashed' } }
];

async function loadCytoscape(): Promise<typeof import('cytoscape')> {
  return (await import('cytoscape')).default;
}

let cytoscapeLoaded: ReturnType<typeof loadCytoscape> | null = null;

const str = (value: unknown, fallback = ''): string =>
  typeof value === 'string' ? value : value === undefined || value === null ? fallback : String(value);
const num = (value: unknown, fallback: number): number =>
  typeof value === 'number' && Number.isFinite(value) ? value : fallback;
const classes = (value: unknown): string =>
  str(value)
    .split(/\s+/)
    .filter(c => /^[\w-]+$/.test(c))
    .join(' ');

/** Cytoscape elements from the (possibly untrusted) MIME data: unknown references and duplicates dropped. */
export function lineageElements(graph: ILineageMimeData): ElementDefinition[] {
  const nodes: NodeDefinition[] = [];
  const ids = new Set<string>();
  for (const n of Array.isArray(graph?.nodes) ? graph.nodes : []) {
    const data = n && typeof n.data === 'object' && n.data ? n.data : {};
    const id = str(data.id);
    if (!id || ids.has(id)) {
      continue;
    }
    ids.add(id);
    const color = str(data.color);
    nodes.push({
      group: 'nodes',
      data: {
        ...data,
        id,
        label: str(data.label, id),
        w: Math.max(10, num(data.w, 60)),
        color: COLOR.test(color) ? color : '#6b7f8f'
      },
      position: { x: num(n.position?.x, 0), y: num(n.position?.y, 0) },
      classes: classes(n.classes)
    });
  }
  const edges: EdgeDefinition[] = [];
  (Array.isArray(graph?.edges) ? graph.edges : []).forEach((e, i) => {
    const data = e && typeof e.data === 'object' && e.data ? e.data : {};
    const source = str(data.source);
    const target = str(data.target);
    if (!ids.has(source) || !ids.has(target)) {
      return;
    }
    const color = str(data.color);
    const edge: EdgeDefinition = {
      group: 'edges',
      data: { ...data, id: `nbr-e${i}`, source, target, color: COLOR.test(color) ? color : '#7a8793' },
      classes: classes(e.classes)
    };
    // long edges bend through the layout's points (cytoscape "segments" edges, as the Python widget draws them)
    const seg = e.segments;
    if (seg && Array.isArray(seg.weights) && Array.isArray(seg.distances) && seg.weights.length === seg.distances.length) {
      const weights = seg.weights.map(w => num(w, NaN));
      const distances = seg.distances.map(d => num(d, NaN));
      if (weights.length && ![...weights, ...distances].some(Number.isNaN)) {
        edge.style = {
          'curve-style': 'segments',
          'edge-distances': 'node-position',
          'segment-weights': weights,
          'segment-distances': distances
        } as any;
      }
    }
    edges.push(edge);
  });
  return [...nodes, ...edges];
}

/** The graph (left) and the clicked node's details (right), with a Fit button. */
export class RenderedLineage extends Widget implements IRenderMime.IRenderer {
  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this._mimeType = options.mimeType;
    this.addClass('nbr-lineage-mime-view');
    this.node.dataset.mimeType = this._mimeType; // as JupyterLab's own renderers do
    this.node.dataset.testid = 'nbr-lineage-mime';
    Object.assign(this.node.style, { display: 'flex', flexDirection: 'column', gap: '4px', width: '100%' });
    const fit = h('button', { class: 'jp-mod-styled nbr-button', title: 'fit the whole graph in view', onclick: () => this.fit() }, 'Fit');
    Object.assign(this._info.style, { fontSize: '12px', color: 'var(--jp-ui-font-color2)' });
    const bar = h('div', {}, fit, ' ', this._info);
    Object.assign(bar.style, { display: 'flex', alignItems: 'center', gap: '8px' });
    Object.assign(this._graph.style, {
      flex: '1 1 68%',
      minWidth: '0',
      height: HEIGHT,
      border: '1px solid var(--jp-border-color2, #ddd)',
      position: 'relative'
    });
    Object.assign(this._details.style, {
      flex: '0 0 32%',
      minWidth: '220px',
      maxHeight: HEIGHT,
      overflow: 'auto',
      padding: '0 0 0 8px',
      fontSize: '12px',
      boxSizing: 'border-box'
    });
    const row = h('div', {}, this._graph, this._details);
    Object.assign(row.style, { display: 'flex', width: '100%' });
    this.node.append(bar, row);
    this._observer = new ResizeObserver(() => this._onGraphResize());
    this._observer.observe(this._graph);
  }

  /** The cytoscape instance (also on the graph's container as `_cyreg.cy`, where cytoscape puts it). */
  get cy(): Core | null {
    return this._cy;
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const graph = model.data[this._mimeType] as unknown as ILineageMimeData;
    const elements = lineageElements(graph);
    cytoscapeLoaded = cytoscapeLoaded ?? loadCytoscape();
    const cytoscape = await cytoscapeLoaded;
    if (this.isDisposed) {
      return;
    }
    this._cy?.destroy();
    this._fitted = false;
    const cy = (this._cy = cytoscape({
      container: this._graph,
      elements,
      style: STYLE,
      layout: { name: 'preset', fit: false },
      minZoom: 0.05,
      maxZoom: 4
    }));
    this._info.textContent = `${cy.nodes().length} nodes, ${cy.edges().length} edges. Click a node to see its details; scroll to zoom.`;
    cy.on('tap', 'node', event => this._select(event.target.id()));
    const root = str(graph?.root);
    this._select(root && cy.getElementById(root).nonempty() ? root : '');
    this._onGraphResize();
  }

  /** Re-measure the drawing area and fit the whole graph in it (the Fit button). */
  fit(): void {
    if (!this._cy || !this._graph.clientWidth || !this._graph.clientHeight) {
      return;
    }
    this._cy.resize();
    this._cy.fit(undefined, 24);
    this._fitted = true;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._observer.disconnect();
    this._cy?.destroy();
    this._cy = null;
    super.dispose();
  }

  private _onGraphResize(): void {
    if (!this._cy || !this._graph.clientWidth || !this._graph.clientHeight) {
      return; // not attached (or hidden) yet: fitted once it has a size
    }
    if (this._fitted) {
      this._cy.resize();
    } else {
      this.fit();
    }
  }

  /** Show a node's details, as a click does (no node: the hint). */
  private _select(id: string): void {
    const cy = this._cy;
    const node = id && cy ? cy.getElementById(id) : null;
    if (!cy || !node || node.empty()) {
      this._details.replaceChildren(h('i', {}, 'Click a node to see its details.'));
      return;
    }
    cy.nodes(':selected').unselect();
    node.select();
    const data = node.data() as Record<string, unknown>;
    const kind = data.kind === 'run' ? 'run' : `${str(data.type, 'unknown')} artifact`;
    const dot = h('b', {}, '\u25cf');
    dot.style.color = str(data.color);
    const rows = Array.isArray(data.details) ? (data.details as unknown[]) : [['label', str(data.label, id)]];
    const body = rows
      .filter((r): r is unknown[] => Array.isArray(r) && r.length >= 2)
      .map(([k, v]) => {
        const th = h('th', {}, str(k));
        Object.assign(th.style, { textAlign: 'left', verticalAlign: 'top', paddingRight: '8px' });
        const td = h('td', {}, str(v));
        td.style.wordBreak = 'break-all';
        return h('tr', {}, th, td);
      });
    this._details.replaceChildren(
      h('div', { class: 'nbr-lineage-mime-details-body', 'data-node': id }, dot, ' ', h('b', {}, kind), h('table', {}, body))
    );
  }

  private _mimeType: string;
  private _cy: Core | null = null;
  private _fitted = false;
  private _observer: ResizeObserver;
  private _info = h('span', { class: 'nbr-lineage-mime-info' });
  /** cytoscape's container: cytoscape keeps its instance on it as `_cyreg.cy` (what the browser tests read). */
  private _graph = h('div', { class: 'nbr-lineage-mime', 'data-testid': 'nbr-lineage-mime-graph' });
  private _details = h('div', { class: 'nbr-lineage-mime-details', 'data-testid': 'nbr-lineage-mime-details' });
}

export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [MIME_TYPE],
  defaultRank: 45, // before text/html (50), which holds the SVG for static renderers
  createRenderer: options => new RenderedLineage(options)
};

const extension: IRenderMime.IExtension = {
  id: 'nb-registry:lineage-mime',
  description: 'Draws large nb_registry lineage graphs (one display message, no widget per node).',
  rendererFactory,
  rank: 45,
  dataType: 'json'
};

export default extension;
