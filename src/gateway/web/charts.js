// Chart helpers shared by the gateway's operations page, `tokenfab usage --chart` and the twin's
// `tokenfab sim --html`: uPlot line (or bar) charts with the project's colours, a legend, and
// optional horizontal reference lines (an SLO).
// Exposes window.TF. Needs uPlot loaded first.
(function (global) {
  'use strict';
  const COLORS = ['#2f7ed8', '#d9534f', '#3c9d4e', '#e69a28', '#8e44ad', '#16a085', '#7f8c8d',
                  '#c0392b', '#2c3e50', '#b8860b'];

  // Compact numbers for axes and tables: 1.2k, 3.4M, 0.012.
  function fmtNum(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return '–';
    const a = Math.abs(v);
    const d = digits === undefined ? 3 : digits;
    if (a >= 1e9) return (v / 1e9).toPrecision(d) + 'G';
    if (a >= 1e6) return (v / 1e6).toPrecision(d) + 'M';
    if (a >= 1e4) return (v / 1e3).toPrecision(d) + 'k';
    if (a === 0) return '0';
    if (a < 1e-3) return v.toExponential(2);
    return Number(v.toPrecision(d)).toString();
  }

  // Energy in the unit that keeps it readable.
  function fmtEnergy(wh) {
    const a = Math.abs(wh);
    if (!a) return '0 Wh';
    if (a >= 1000) return (wh / 1000).toFixed(3) + ' kWh';
    if (a >= 1) return wh.toFixed(3) + ' Wh';
    if (a >= 1e-3) return (wh * 1e3).toFixed(3) + ' mWh';
    return (wh * 1e6).toFixed(3) + ' µWh';
  }

  // A line chart in `el`. opts: {title, labels: [series names], unit, time (x in seconds since
  // the epoch; default true), height, refs: [{label, value}] (dashed horizontal lines),
  // categories (x labels for a non-time x: x is the index), xLabel (the x axis' title), spanGaps
  // (draw lines across nulls, for series sampled at different xs), bars (bars, not lines)}.
  // Returns {update(data)} where data is [xs, ys0, ys1, ...] with null for a gap.
  function lineChart(el, opts) {
    const refs = opts.refs || [];
    const series = [{}];
    opts.labels.forEach((label, i) => {
      const color = COLORS[i % COLORS.length];
      const s = {label, stroke: color, width: 2, points: {show: opts.points !== false},
                 spanGaps: !!opts.spanGaps,
                 value: (u, v) => fmtNum(v) + (opts.unit ? ' ' + opts.unit : '')};
      if (opts.bars) Object.assign(s, {fill: color + '99', points: {show: false},
                                       paths: uPlot.paths.bars({size: [0.6, 80]})});
      series.push(s);
    });
    refs.forEach((ref, i) => {
      series.push({label: ref.label, stroke: COLORS[(opts.labels.length + i) % COLORS.length],
                   width: 1, dash: [6, 4], points: {show: false}});
    });
    const axes = [{}, {label: opts.unit || '', size: 60, values: (u, vals) => vals.map((v) => fmtNum(v))}];
    if (opts.categories) {
      axes[0] = {values: (u, vals) => vals.map((v) => opts.categories[v] ?? ''),
                 splits: () => opts.categories.map((c, i) => i)};
    }
    if (opts.xLabel) axes[0].label = opts.xLabel;
    const x = {time: opts.time !== false && !opts.categories};
    if (opts.categories) x.range = () => [-0.5, opts.categories.length - 0.5];
    const y = opts.bars ? {range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1]} : {};
    const width = Math.max(280, (el.clientWidth || 480) - 8);
    const plot = new uPlot({
      title: opts.title, width, height: opts.height || 220, series, axes,
      scales: {x, y},
      legend: {live: true},
    }, emptyData(series.length), el);
    function emptyData(n) { return Array.from({length: n}, () => []); }
    return {
      plot,
      update(data) {
        const xs = data[0] || [];
        const full = data.slice();
        refs.forEach((ref) => full.push(xs.map(() => ref.value)));
        plot.setData(full);
      },
    };
  }

  // Rows (array of objects) as an HTML table in `el`; columns: [{key, label, fmt}].
  function table(el, columns, rows) {
    const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
    let html = '<table><thead><tr>' + columns.map((c) => `<th>${esc(c.label)}</th>`).join('') +
               '</tr></thead><tbody>';
    for (const row of rows) {
      html += '<tr>' + columns.map((c) => {
        const v = row[c.key];
        return `<td class="${typeof v === 'number' ? 'num' : ''}">${esc(c.fmt ? c.fmt(v, row) : (v ?? '–'))}</td>`;
      }).join('') + '</tr>';
    }
    if (!rows.length) html += `<tr><td colspan="${columns.length}">none</td></tr>`;
    el.innerHTML = html + '</tbody></table>';
  }

  global.TF = {COLORS, fmtNum, fmtEnergy, lineChart, table};
})(window);
