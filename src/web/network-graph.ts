// Progressive enhancement of a child's network page: draws the links already listed in the tables as
// a graph (Cytoscape.js). The tables stay the page's content; without scripts nothing is lost.
import cytoscape from 'cytoscape';

interface GraphData {
  nodes: { id: string; label: string; root: boolean }[];
  edges: { source: string; target: string; label: string }[];
}

const container = document.getElementById('network-graph');
const data = document.getElementById('network-graph-data');
if (container && data?.textContent) {
  const graph = JSON.parse(data.textContent) as GraphData;
  container.hidden = false;
  container.setAttribute('role', 'img');
  container.setAttribute('aria-label', container.dataset.graphLabel ?? 'A drawing of the links listed below');
  cytoscape({
    container,
    elements: [
      ...graph.nodes.map((n) => ({ data: { id: n.id, label: n.label, root: n.root ? 1 : 0 } })),
      ...graph.edges.map((e, i) => ({ data: { id: `e${i}`, source: e.source, target: e.target, label: e.label } })),
    ],
    style: [
      { selector: 'node', style: { label: 'data(label)', 'background-color': '#505a5f', color: '#0b0c0c', 'font-size': 12, 'text-valign': 'bottom', 'text-margin-y': 4 } },
      { selector: 'node[root = 1]', style: { 'background-color': '#1d70b8', width: 36, height: 36 } },
      { selector: 'edge', style: { width: 2, 'line-color': '#b1b4b6', 'curve-style': 'bezier' } },
    ],
    layout: { name: 'cose', animate: false },
    userZoomingEnabled: true,
    boxSelectionEnabled: false,
  });
}
