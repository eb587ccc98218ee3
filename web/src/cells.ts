// Rendering of one result cell: media for binaries, sparklines for vectors,
// collapsible structs and maps, clipped text.

import { el, svg } from './dom';
import { formatBytes } from './format';
import { openLightbox } from './lightbox';
import type { BinaryValue, Cell } from './types';

type MapEntries = [Cell, Cell][];

/** Arrays of more numbers than this are drawn as a vector sparkline. */
const VECTOR_MIN_LENGTH = 16;
/** Compact array text longer than this is collapsed into <details>. */
const ARRAY_INLINE_CHARS = 80;
const SPARKLINE_WIDTH = 120;
const SPARKLINE_HEIGHT = 22;

/** The object behind a cell that is neither null, a scalar nor an array. */
function recordOf(value: Cell): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : null;
}

// The server wraps special values in one-key objects ($binary, $map) or a
// {$text, length} pair; anything else that is an object is a struct.
function binaryOf(value: Cell): BinaryValue | null {
  const record = recordOf(value);
  if (!record || !('$binary' in record) || Object.keys(record).length !== 1) return null;
  return record.$binary as BinaryValue;
}

function mapOf(value: Cell): MapEntries | null {
  const record = recordOf(value);
  if (!record || !Array.isArray(record.$map) || Object.keys(record).length !== 1) return null;
  return record.$map as MapEntries;
}

function cutTextOf(value: Cell): { text: string; length: number } | null {
  const record = recordOf(value);
  if (!record || typeof record.$text !== 'string' || typeof record.length !== 'number') return null;
  return { text: record.$text, length: record.length };
}

export function renderCell(value: Cell): Node {
  if (value === null) return el('span', { class: 'cell-null' }, 'NULL');
  if (typeof value === 'boolean') return el('span', { class: 'cell-bool' }, String(value));
  if (typeof value === 'number') return el('span', { class: 'cell-number' }, String(value));
  if (typeof value === 'string') return renderString(value);
  if (Array.isArray(value)) return renderArray(value);
  const binary = binaryOf(value);
  if (binary) return renderBinary(binary);
  const entries = mapOf(value);
  if (entries) {
    return renderFields(
      'cell-struct cell-map',
      entries.length === 1 ? '1 entry' : `${entries.length} entries`,
      entries.map(([key, item]) => [typeof key === 'string' ? key : compactText(key), item]),
    );
  }
  const cut = cutTextOf(value);
  if (cut) {
    return el(
      'span',
      { class: 'cell-string cell-text', title: cut.text },
      cut.text,
      el('span', { class: 'cell-cut' }, `… (${cut.length} chars)`),
    );
  }
  const fields = Object.entries(value as { [field: string]: Cell });
  return renderFields('cell-struct', fields.length === 1 ? '1 field' : `${fields.length} fields`, fields);
}

function renderString(text: string): HTMLElement {
  // Long or multi-line text is clipped by CSS; the title shows all of it.
  const clipped = text.length > 60 || text.includes('\n');
  return el('span', { class: 'cell-string', title: clipped ? text : null }, text);
}

function renderFields(className: string, count: string, fields: [string, Cell][]): HTMLElement {
  return el(
    'details',
    { class: className },
    el('summary', null, `{…} ${count}`),
    el(
      'div',
      { class: 'struct-fields' },
      fields.map(([key, item]) =>
        el('div', { class: 'struct-field' }, el('span', { class: 'struct-key' }, `${key}:`), renderCell(item)),
      ),
    ),
  );
}

function renderBinary(binary: BinaryValue): HTMLElement {
  const { url, mime, size, name } = binary;
  const caption = el('div', { class: 'cell-caption' }, formatBytes(size));
  const label = name ?? mime;
  if (url && mime.startsWith('image/')) {
    const image = el('img', { class: 'cell-image', loading: 'lazy', src: url, alt: label, title: label });
    image.addEventListener('click', () => openLightbox(url, label));
    return el('div', { class: 'cell-media' }, image, caption);
  }
  if (url && mime.startsWith('audio/')) {
    return el('div', { class: 'cell-media' }, el('audio', { class: 'cell-audio', controls: true, preload: 'metadata', src: url }), caption);
  }
  if (url && mime.startsWith('video/')) {
    return el('div', { class: 'cell-media' }, el('video', { class: 'cell-video', controls: true, preload: 'metadata', src: url }), caption);
  }
  if (url && mime === 'application/pdf') {
    const preview = `${url}${url.includes('?') ? '&' : '?'}preview=png`;
    return el(
      'div',
      { class: 'cell-media' },
      el(
        'a',
        { class: 'cell-pdf', href: url, target: '_blank', rel: 'noopener', title: label },
        el('img', { class: 'cell-pdf-preview', loading: 'lazy', src: preview, alt: `PDF ${label}` }),
      ),
      caption,
    );
  }
  return el('span', { class: 'cell-binary', title: `${mime}${name ? ` · ${name}` : ''}` }, `binary, ${formatBytes(size)}`);
}

function renderArray(items: Cell[]): HTMLElement {
  if (items.length > VECTOR_MIN_LENGTH && items.every((x) => typeof x === 'number')) {
    return renderVector(items as number[]);
  }
  const text = compactText(items);
  if (text.length <= ARRAY_INLINE_CHARS) return el('span', { class: 'cell-array' }, text);
  return el(
    'details',
    { class: 'cell-array' },
    el('summary', null, `[${items.length} items] ${text.slice(0, ARRAY_INLINE_CHARS)}…`),
    el('div', { class: 'cell-array-full' }, text),
  );
}

function renderVector(values: number[]): HTMLElement {
  const first = values.slice(0, 8).map((v) => Number(v.toPrecision(4)));
  const title = `[${first.join(', ')}, …]`;
  return el(
    'span',
    { class: 'cell-vector-wrap' },
    el('span', { class: 'cell-vector', title }, `${values.length}-d vector`),
    sparkline(values, title),
  );
}

function sparkline(values: number[], title: string): SVGSVGElement {
  // Sample at most one value per horizontal pixel.
  const step = Math.max(1, values.length / SPARKLINE_WIDTH);
  const sampled: number[] = [];
  for (let i = 0; i < values.length; i += step) sampled.push(values[Math.floor(i)]);
  const min = Math.min(...sampled);
  const range = Math.max(...sampled) - min || 1;
  const dx = SPARKLINE_WIDTH / Math.max(1, sampled.length - 1);
  const points = sampled
    .map((v, i) => `${(i * dx).toFixed(1)},${(SPARKLINE_HEIGHT - 1 - ((v - min) / range) * (SPARKLINE_HEIGHT - 2)).toFixed(1)}`)
    .join(' ');
  return svg(
    'svg',
    { class: 'sparkline', width: SPARKLINE_WIDTH, height: SPARKLINE_HEIGHT, viewBox: `0 0 ${SPARKLINE_WIDTH} ${SPARKLINE_HEIGHT}` },
    svg('title', null, title),
    svg('polyline', { points, fill: 'none' }),
  );
}

/** One-line JSON-ish text of a value, for arrays and map keys. */
function compactText(value: Cell): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `[${value.map(compactText).join(', ')}]`;
  const binary = binaryOf(value);
  if (binary) return `<${binary.mime}, ${formatBytes(binary.size)}>`;
  const entries = mapOf(value);
  if (entries) return `{${entries.map(([k, v]) => `${compactText(k)}: ${compactText(v)}`).join(', ')}}`;
  const cut = cutTextOf(value);
  if (cut) return JSON.stringify(`${cut.text}…`);
  const fields = Object.entries(value as { [field: string]: Cell });
  return `{${fields.map(([k, v]) => `${k}: ${compactText(v)}`).join(', ')}}`;
}
