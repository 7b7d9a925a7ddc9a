// The views the page can show beside the 3-D scene: their names (part of the state)
// and titles. DOM-free, so the state schema and the CLI can use them.

export const VIEW_NAMES = ['loss', 'sweep', 'bifurcation', 'map', 'basins', 'lrfinder', 'sharpness', 'netmap', 'netloss', 'netsharp', 'netsweep'] as const;
export type ViewName = (typeof VIEW_NAMES)[number];

export const VIEW_TITLES: Record<ViewName, string> = {
  loss: 'Loss curves',
  sweep: 'η sweep: final loss and outcome',
  bifurcation: 'Bifurcation diagram',
  map: 'Hyperparameter map',
  basins: 'Basins of attraction',
  lrfinder: 'LR finder (range test)',
  sharpness: 'Sharpness trace (edge of stability)',
  netmap: 'Network map: lr_layer0 × lr_layer1',
  netloss: 'Network loss curves',
  netsharp: 'Network sharpness (edge of stability)',
  netsweep: 'Network sweep: loss against η',
};
