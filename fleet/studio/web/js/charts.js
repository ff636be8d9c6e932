// Time-series charts with uPlot (served from node_modules by the server). A chart is kept across
// refreshes and only gets new data, so a live view does not flicker or lose its zoom.
import uPlot from '../vendor/uplot/uPlot.esm.js';

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

/**
 * A line chart in `el`: `times` in epoch ms, `series` [{label, values}] with null for gaps.
 * Returns an updater taking the same arguments; a change of series labels rebuilds the chart.
 */
export function lineChart(el, { title, yLabel, thresholds = [] }) {
  let chart;
  let labels = '';
  const build = (times, series) => {
    chart?.destroy();
    const width = Math.max(320, el.clientWidth || 640);
    chart = new uPlot(
      {
        title,
        width,
        height: 240,
        scales: { x: { time: true } },
        axes: [{}, { label: yLabel, size: 60 }],
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: PALETTE[i % PALETTE.length],
            width: 2,
            spanGaps: false,
            points: { show: true, size: 4 },
          })),
          ...thresholds.map((t) => ({
            label: t.label,
            stroke: '#6b7280',
            dash: [6, 4],
            width: 1,
            points: { show: false },
          })),
        ],
      },
      data(times, series),
      el,
    );
    labels = series.map((s) => s.label).join('\n');
  };
  const data = (times, series) => [
    times.map((t) => t / 1000),
    ...series.map((s) => s.values),
    ...thresholds.map((t) => times.map(() => t.value)),
  ];
  return (times, series) => {
    if (!chart || labels !== series.map((s) => s.label).join('\n')) build(times, series);
    else chart.setData(data(times, series));
  };
}
