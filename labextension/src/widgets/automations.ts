/**
 * The "Automations" section of a model page: which of *your* hooks react to this model, and the latest
 * deliveries of its events with their status. Hooks live in the viewer's own configuration, never in the
 * registry, and run only in a worker its owner starts: the page says so.
 */
import { IDelivery, IHook, IModelDetail } from '../tokens';
import { chip, h, table, when } from './dom';

const CONFIG = '~/.config/nb_registry/automations.json';
const STATUSES = ['running', 'delivered', 'failed', 'gave_up'];

/** The section's content, from the model detail (every value shown as text). */
export function automationsSection(detail: IModelDetail): (HTMLElement | null)[] {
  const shown = detail.deliveries.length;
  const total = detail.deliveries_total ?? shown;
  return [
    h('h3', {}, 'Automations'),
    h(
      'p',
      { class: 'nbr-note', 'data-testid': 'nbr-automations-note' },
      'Hooks live in your own configuration (',
      h('code', {}, CONFIG),
      '), never in the registry, and run only in a worker you start: ',
      h('code', {}, 'nb-registry automations serve'),
      ', or this Jupyter server with ',
      h('code', {}, 'c.NbRegistry.serve_automations = True'),
      '. ',
      workerText(detail)
    ),
    detail.automations_error
      ? h('p', { class: 'nbr-error', 'data-testid': 'nbr-automations-error' }, 'Your automation configuration cannot be read: ', detail.automations_error)
      : null,
    h('h4', {}, 'Your hooks for this model'),
    hooksTable(detail.automations),
    h('h4', {}, total > shown ? `Latest deliveries (${shown} of ${total})` : 'Deliveries'),
    deliveriesTable(detail.deliveries)
  ];
}

function workerText(detail: IModelDetail): string {
  const worker = detail.automation_worker;
  if (!worker) {
    return 'No worker runs in this server.';
  }
  return worker.running
    ? `This server runs one (${worker.name}).`
    : `This server's worker (${worker.name}) has stopped; the server log says why.`;
}

function hooksTable(hooks: IHook[]): HTMLElement {
  if (hooks.length === 0) {
    return h('p', { class: 'nbr-empty', 'data-testid': 'nbr-hooks-empty' }, 'None of your hooks react to this model.');
  }
  return table<IHook>(
    [
      { title: 'Hook', cell: k => h('strong', {}, k.name) },
      { title: 'Reacts to', cell: reactsTo },
      {
        title: 'Does',
        cell: k => [chip(k.kind, 'type'), ' ', h('code', {}, k.target), k.kind === 'webhook' ? (k.signed ? ' (signed)' : ' (unsigned)') : '']
      }
    ],
    hooks,
    { testid: 'nbr-hooks-table', rowClass: 'nbr-hook-row', rowAttrs: k => ({ 'data-hook': k.name }) }
  );
}

function reactsTo(hook: IHook): (Node | string)[] {
  const out: (Node | string)[] = [];
  if (hook.events.includes('alias')) {
    out.push(hook.alias === '*' ? 'any alias move' : chip(hook.alias, 'alias'), hook.alias === '*' ? '' : ' moves');
    if (hook.on_remove) {
      out.push(' or removals');
    }
  }
  if (hook.events.includes('link')) {
    out.push(out.length ? ', ' : '', 'new links');
  }
  if (hook.model === '*') {
    out.push(' (every model)');
  }
  return out;
}

function deliveriesTable(deliveries: IDelivery[]): HTMLElement {
  if (deliveries.length === 0) {
    return h('p', { class: 'nbr-empty', 'data-testid': 'nbr-deliveries-empty' }, 'No deliveries yet.');
  }
  return table<IDelivery>(
    [
      { title: 'When', cell: d => when(d.at) },
      { title: 'Hook', cell: d => d.hook },
      { title: 'Event', cell: eventText },
      { title: 'Status', cell: d => status(d.status) },
      { title: 'Attempts', cell: d => String(d.attempts) },
      { title: 'Worker', cell: d => d.worker ?? '' },
      { title: 'Detail', cell: detailText, className: 'nbr-delivery-detail' }
    ],
    deliveries,
    {
      testid: 'nbr-deliveries-table',
      rowClass: 'nbr-delivery-row',
      rowAttrs: d => ({ 'data-status': String(d.status), 'data-hook': String(d.hook) })
    }
  );
}

function eventText(d: IDelivery): (Node | string)[] {
  const v = (n: number | null) => (n === null ? 'removed' : `v${n}`);
  if (d.kind === 'link') {
    return [`link ${v(d.version)}`];
  }
  return d.alias === null ? [] : [chip(d.alias, 'alias'), ` → ${v(d.version)}`];
}

function status(value: string): HTMLElement {
  const known = STATUSES.includes(value) ? value : 'other';
  return h('span', { class: `nbr-chip nbr-chip-state nbr-status nbr-status-${known}`, 'data-testid': 'nbr-delivery-status' }, String(value));
}

function detailText(d: IDelivery): HTMLElement | string {
  const text = String(d.detail ?? '');
  if (!text) {
    return '';
  }
  const first = text.split('\n', 1)[0];
  const summary = first.length > 80 ? first.slice(0, 77) + '…' : first;
  return h('details', {}, h('summary', {}, summary), h('pre', { class: 'nbr-output' }, text));
}
