/**
 * ECharts, tree-shaken to what the panels use. SVG renderer: vector output stays sharp inside
 * the CSS-scaled panel layer at any wall resolution.
 */
import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GraphicComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

// GraphicComponent: the empty-state text of a chart without data (brief: incidents by district)
echarts.use([LineChart, BarChart, PieChart, GridComponent, LegendComponent, TooltipComponent, MarkLineComponent, GraphicComponent, SVGRenderer]);

export { echarts };
