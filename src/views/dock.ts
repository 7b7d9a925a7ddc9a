// The views dock: panels beside the 3-D scene, one per open view, each with a title,
// a slot for its own controls, a body, a collapse and a close button.

import { VIEW_TITLES, type ViewName } from '../model/views';

export interface ViewPanel {
  name: ViewName;
  root: HTMLElement;
  controls: HTMLElement;
  body: HTMLElement;
  status: HTMLElement;
}

export class ViewDock {
  private panels = new Map<ViewName, ViewPanel>();

  constructor(
    private readonly el: HTMLElement,
    private readonly onClose: (name: ViewName) => void,
  ) {
    el.classList.add('view-dock');
  }

  /** The panel of a view, created on first use. */
  panel(name: ViewName): ViewPanel {
    let p = this.panels.get(name);
    if (p) return p;
    const root = document.createElement('section');
    root.className = 'view-panel';
    root.dataset.view = name;
    root.setAttribute('aria-label', VIEW_TITLES[name]);
    const head = document.createElement('header');
    const title = document.createElement('span');
    title.className = 'title';
    title.textContent = VIEW_TITLES[name];
    const controls = document.createElement('span');
    controls.className = 'controls';
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'close';
    close.textContent = '×';
    close.title = `close ${VIEW_TITLES[name]}`;
    close.setAttribute('aria-label', `close ${VIEW_TITLES[name]}`);
    close.addEventListener('click', () => this.onClose(name));
    // Collapsed: only the header stays (the dock gives the room back to the others).
    const collapse = document.createElement('button');
    collapse.type = 'button';
    collapse.className = 'collapse';
    collapse.textContent = '▾';
    collapse.setAttribute('aria-label', `collapse ${VIEW_TITLES[name]}`);
    collapse.setAttribute('aria-expanded', 'true');
    collapse.addEventListener('click', () => {
      const collapsed = root.classList.toggle('collapsed');
      collapse.textContent = collapsed ? '▸' : '▾';
      collapse.setAttribute('aria-expanded', String(!collapsed));
    });
    head.append(collapse, title, controls, close);
    const body = document.createElement('div');
    body.className = 'body';
    const status = document.createElement('div');
    status.className = 'status';
    root.append(head, body, status);
    this.el.appendChild(root);
    p = { name, root, controls, body, status };
    this.panels.set(name, p);
    return p;
  }

  /** Shows these views in this order; the others' panels are hidden (kept for reuse). */
  show(names: readonly ViewName[]): void {
    for (const [name, p] of this.panels) p.root.hidden = !names.includes(name);
    names.forEach((n) => this.el.appendChild(this.panel(n).root));
    this.el.hidden = names.length === 0;
  }

  isShown(name: ViewName): boolean {
    const p = this.panels.get(name);
    return !!p && !p.root.hidden;
  }
}
