// `tokenfab usage --chart`: draws the report embedded in the page as window.USAGE (the JSON of
// `tokenfab usage --format json`, plus `hours`: the same grouped by UTC hour).
(function () {
  'use strict';
  const u = window.USAGE;
  document.getElementById('title').textContent = u.title;
  const cur = u.energy_currency;
  const hours = u.hours.rows;
  const xs = hours.map((r) => Date.parse(r.hour + ':00:00Z') / 1000);
  const col = (k) => hours.map((r) => r[k]);
  const charts = document.getElementById('charts');
  function chart(opts, data) {
    const div = document.createElement('div');
    div.className = 'chart';
    charts.appendChild(div);
    TF.lineChart(div, opts).update([xs, ...data]);
  }
  chart({title: 'Tokens per hour', labels: ['prompt', 'completion'], unit: 'tokens'},
        [col('prompt_tokens'), col('completion_tokens')]);
  chart({title: 'Price charged, energy cost and margin per hour', labels: ['charged', 'energy cost', 'margin'], unit: cur},
        [col('cost'), col('energy_cost'), col('margin')]);
  chart({title: 'Facility energy per hour', labels: ['energy'], unit: 'Wh'}, [col('energy_wh')]);
  chart({title: 'Carbon per hour', labels: ['carbon'], unit: 'g CO2'}, [col('carbon_g')]);
  chart({title: 'Green share of the energy', labels: ['green share'], unit: ''}, [col('green_share')]);
  const columns = u.group_by.map((k) => ({key: k, label: k}));
  columns.push(
    {key: 'currency', label: 'currency'},
    {key: 'requests', label: 'requests'},
    {key: 'total_tokens', label: 'tokens'},
    {key: 'cost', label: 'charged', fmt: (v) => v.toFixed(6)},
    {key: 'energy_wh', label: 'energy', fmt: TF.fmtEnergy},
    {key: 'energy_cost', label: 'energy cost (' + cur + ')', fmt: (v) => v.toFixed(6)},
    {key: 'margin', label: 'margin', fmt: (v) => (v === null ? '–' : v.toFixed(6))},
    {key: 'green_share', label: 'green share', fmt: (v) => (100 * v).toFixed(1) + ' %'},
    {key: 'carbon_g', label: 'carbon (g)', fmt: (v) => TF.fmtNum(v, 4)});
  TF.table(document.getElementById('table'), columns, u.rows);
})();
