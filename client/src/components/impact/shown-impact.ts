/**
 * The impact range the console's incident pane shows now, for the console map to draw (issue 17).
 * One per page: the panel sets it when a range arrives and clears it when it closes. A shallowRef:
 * the range is replaced whole, never deep-reactive (deck.gl keeps its data identity).
 */
import { shallowRef } from 'vue';
import type { ImpactRange } from '@scenes/impact/impact-types';

export const shownImpact = shallowRef<ImpactRange | null>(null);
