// `tokenfab sim --html`: draws the twin's report embedded in the page as window.SIM: {title,
// table (the side-by-side text table), sections: [{heading, charts: [{options, data}]}]}, each
// chart drawn by TF.lineChart(options).update(data). What to plot is decided by the twin
// (src/sim/sim_html.cc); this script only draws it.
(function () {
  'use strict';
  const s = window.SIM;
  document.getElementById('title').textContent = s.title;
  document.getElementById('table').textContent = s.table;
  const root = document.getElementById('sections');
  for (const section of s.sections) {
    const h = document.createElement('h2');
    h.textContent = section.heading;
    root.appendChild(h);
    const grid = document.createElement('div');
    grid.className = 'grid';
    root.appendChild(grid);
    for (const c of section.charts) {
      const div = document.createElement('div');
      div.className = 'chart';
      grid.appendChild(div);
      TF.lineChart(div, c.options).update(c.data);
    }
  }
})();
