// A small lineage graph: upstream boxes → this object → downstream boxes.

import { el, svg } from './dom';
import type { LineageNode } from './types';

const BOX_W = 220;
const BOX_H = 40;
const ROW_GAP = 14;
const COL_GAP = 150; // room for the functions named on an edge
const MAX_LABEL = 30;

function shorten(name: string): string {
  return name.length > MAX_LABEL ? `…${name.slice(name.length - MAX_LABEL + 1)}` : name;
}

/** Neighbours for which `hrefOf` gives a route are links to it. */
export function lineageGraph(
  center: LineageNode,
  upstream: LineageNode[],
  downstream: LineageNode[],
  hrefOf: (node: LineageNode) => string | null,
): Element {
  if (upstream.length === 0 && downstream.length === 0) {
    return el('p', { class: 'muted' }, 'No lineage recorded for this object.');
  }
  const rows = Math.max(upstream.length, downstream.length, 1);
  const height = rows * BOX_H + (rows - 1) * ROW_GAP;
  const width = 3 * BOX_W + 2 * COL_GAP;
  const columnX = [0, BOX_W + COL_GAP, 2 * (BOX_W + COL_GAP)];
  // Each column is centred vertically.
  const boxY = (count: number, i: number): number =>
    (height - (count * BOX_H + (count - 1) * ROW_GAP)) / 2 + i * (BOX_H + ROW_GAP);

  const centerY = boxY(1, 0);
  const edges: SVGElement[] = [];
  const boxes: SVGElement[] = [box(center, columnX[1], centerY, null, true)];

  const side = (nodes: LineageNode[], column: number): void => {
    nodes.forEach((node, i) => {
      const y = boxY(nodes.length, i);
      boxes.push(box(node, columnX[column], y, hrefOf(node)));
      // Upstream edges run into the centre box, downstream ones out of it.
      const [x1, y1, x2, y2] =
        column === 0
          ? [columnX[0] + BOX_W, y + BOX_H / 2, columnX[1], centerY + BOX_H / 2]
          : [columnX[1] + BOX_W, centerY + BOX_H / 2, columnX[2], y + BOX_H / 2];
      const mid = (x1 + x2) / 2;
      edges.push(
        svg('path', { class: 'lineage-edge', d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2 - 6},${y2}`, 'marker-end': 'url(#lineage-arrow)' }),
      );
      // The multimodal functions the writing statement applied on the way (ocr, embed_text …).
      if (node.functions) {
        edges.push(svg('text', { class: 'lineage-functions', x: mid, y: (y1 + y2) / 2 - 5, 'text-anchor': 'middle' }, node.functions));
      }
    });
  };
  side(upstream, 0);
  side(downstream, 2);

  return svg(
    'svg',
    { class: 'lineage', width, height: height + 2, viewBox: `0 -1 ${width} ${height + 2}` },
    svg(
      'defs',
      null,
      svg(
        'marker',
        { id: 'lineage-arrow', viewBox: '0 0 10 10', refX: 1, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'lineage-arrow' }),
      ),
    ),
    edges,
    boxes,
  );
}

/** One box, a link when `href` is given. */
function box(node: LineageNode, x: number, y: number, href: string | null, isCenter = false): SVGElement {
  const role = isCenter ? 'lineage-self' : href === null ? '' : 'lineage-link';
  const g = svg(
    'g',
    { class: `lineage-node ${role}`.trim(), 'data-lineage': node.name, transform: `translate(${x},${y})` },
    svg('title', null, `${node.name} (${node.type})`),
    svg('rect', { width: BOX_W, height: BOX_H, rx: 6 }),
    svg('text', { x: 10, y: 17, class: 'lineage-name' }, shorten(node.name)),
    svg('text', { x: 10, y: 32, class: 'lineage-type' }, node.type),
  );
  return href === null ? g : svg('a', { href }, g);
}
