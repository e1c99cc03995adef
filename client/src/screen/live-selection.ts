/**
 * A selection keeps showing fresh data: the picked item is looked up again by id in the newest
 * model (an incident's state or SLA moves on while its card is open).
 */
import type { SceneModel } from '@scenes/scene-model';
import type { MapSelection } from '../map/scene-to-layer-props';

export function refreshSelection(selection: MapSelection, model: SceneModel | null): MapSelection {
  if (!model) return selection;
  switch (selection.kind) {
    case 'device': {
      const item = model.devices.find((d) => d.id === selection.id);
      return item ? { ...selection, item } : selection;
    }
    case 'alert': {
      const item = model.alerts.find((a) => a.id === selection.id);
      return item ? { ...selection, item } : selection;
    }
    case 'incident': {
      const item = model.incidents.find((i) => i.id === selection.id);
      return item ? { ...selection, item } : selection;
    }
    case 'asset': {
      const item = model.assets.find((a) => a.id === selection.id);
      return item ? { ...selection, item } : selection;
    }
    case 'handler': {
      const item = model.handlers.find((h) => h.id === selection.id);
      return item ? { ...selection, item } : selection;
    }
    case 'resource': {
      const item = model.resources.find((r) => r.id === selection.id);
      return item ? { ...selection, item } : selection;
    }
    case 'camera':
      // cameras come from the registry list, not the scene model
      return selection;
    default: {
      const unknownSelection: never = selection;
      return unknownSelection;
    }
  }
}
