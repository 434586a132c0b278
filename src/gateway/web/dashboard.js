// The gateway's operations page: polls /dashboard/data (same origin) and draws it. No other host.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const charts = {};
  let tierCharts = {};
  const POLL_MS = 2000;

  function chart(id, opts) {
    if (!charts[id]) charts[id] = TF.lineChart($(id), opts);
    return charts[id];
  }

  function card(label, value) {
    return `<div class="card"><div class="v">${value}</div><div class="l">${label}</div></div>`;
  }

  function last(xs) { return xs.length ? xs[xs.length - 1] : 0; }

  function drawCards(d) {
    const s = d.series;
    const healthy = d.upstreams.filter((u) => u.healthy && u.circuit !== 'open').length;
    const watts = d.upstreams.reduce((a, u) => a + u.power_w, 0);
    const energy = d.sites.reduce((a, x) => a + x.energy_wh, 0);
    const green = energy > 0 ? d.sites.reduce((a, x) => a + x.energy_wh * x.green_share, 0) / energy : null;
    $('cards').innerHTML = [
      card('tokens/s', TF.fmtNum(last(s.tokens_per_s))),
      card('requests/s', TF.fmtNum(last(s.requests_per_s))),
      card('errors/s', TF.fmtNum(last(s.errors_per_s))),
      card('upstreams up', `${healthy} / ${d.upstreams.length}`),
      card('power draw', TF.fmtNum(watts) + ' W'),
      card('energy metered', TF.fmtEnergy(energy)),
      card('green share', green === null ? '–' : (100 * green).toFixed(1) + ' %'),
    ].join('');
  }

  function drawTables(d) {
    const cur = d.currency;
    TF.table($('sites'), [
      {key: 'region', label: 'region'}, {key: 'name', label: 'site'},
      {key: 'healthy', label: 'upstreams up', fmt: (v, r) => `${v} / ${r.upstreams}`},
      {key: 'power_w', label: 'power (W)', fmt: (v) => TF.fmtNum(v)},
      {key: 'price_kwh', label: `price this hour (${cur}/kWh)`, fmt: (v) => v.toFixed(4)},
      {key: 'green_share', label: 'green share', fmt: (v) => (100 * v).toFixed(0) + ' %'},
      {key: 'tokens', label: 'tokens'},
      {key: 'energy_wh', label: 'energy', fmt: TF.fmtEnergy},
      {key: 'cost_per_mtok', label: `energy ${cur}/Mtok`, fmt: (v) => TF.fmtNum(v, 4)},
      {key: 'gco2_per_mtok', label: 'gCO2/Mtok', fmt: (v) => TF.fmtNum(v, 4)},
    ], d.sites);
    TF.table($('upstreams'), [
      {key: 'region', label: 'region'}, {key: 'site', label: 'site'}, {key: 'name', label: 'upstream'},
      {key: 'healthy', label: 'health', fmt: (v) => (v ? 'up' : 'DOWN')},
      {key: 'circuit', label: 'circuit'},
      {key: 'rtt_ms', label: 'RTT (ms)', fmt: (v) => (v < 0 ? '–' : v.toFixed(2))},
      {key: 'running', label: 'running', fmt: (v, r) => `${v} / ${r.max_running || '?'}`},
      {key: 'waiting', label: 'queue'},
      {key: 'utilisation', label: 'utilisation', fmt: (v) => (100 * v).toFixed(0) + ' %'},
      {key: 'kv_usage', label: 'KV', fmt: (v) => (100 * v).toFixed(0) + ' %'},
      {key: 'power_w', label: 'power (W)', fmt: (v) => TF.fmtNum(v)},
      {key: 'last_error', label: 'last error', fmt: (v) => v || ''},
    ], d.upstreams);
    document.querySelectorAll('#upstreams td:nth-child(4)').forEach((td) => {
      td.className = td.textContent === 'up' ? 'ok' : 'bad';
    });
    const tenantCols = [
      {key: 'tenant', label: 'tenant'}, {key: 'requests', label: 'requests'},
      {key: 'tokens', label: 'tokens'},
      {key: 'spend', label: 'spend', fmt: (v, r) => `${v.toFixed(6)} ${r.currency}`},
    ];
    TF.table($('tenants-tokens'), [{key: 'tenant', label: 'top by tokens'}, ...tenantCols.slice(1)],
             d.tenants_by_tokens);
    TF.table($('tenants-spend'), [{key: 'tenant', label: 'top by spend'}, ...tenantCols.slice(1)],
             d.tenants_by_spend);
    TF.table($('errors-by-kind'), [{key: 'kind', label: 'kind'}, {key: 'count', label: 'count'}],
             Object.entries(d.errors_by_kind).map(([kind, count]) => ({kind, count})));
    TF.table($('errors'), [
      {key: 't', label: 'time', fmt: (v) => new Date(v * 1000).toISOString().slice(11, 19)},
      {key: 'kind', label: 'kind'}, {key: 'status', label: 'status'},
      {key: 'tenant', label: 'tenant'}, {key: 'model', label: 'model'},
      {key: 'upstream', label: 'upstream'}, {key: 'message', label: 'message'},
    ], d.errors.slice(0, 15));
  }

  function drawCharts(d) {
    const s = d.series;
    chart('chart-tokens', {title: 'Tokens per second', labels: ['tokens/s'], unit: 'tok/s'})
        .update([s.t, s.tokens_per_s]);
    chart('chart-requests', {title: 'Requests, errors and refusals per second',
                             labels: ['requests/s', 'errors/s', 'refused/s'], unit: '/s'})
        .update([s.t, s.requests_per_s, s.errors_per_s, s.refused_per_s]);
    const names = Object.keys(s.upstreams).sort();
    const key = names.join('|');
    if (charts.util && charts.util.key !== key) {
      ['chart-util', 'chart-queue'].forEach((id) => { $(id).innerHTML = ''; delete charts[id]; });
    }
    const util = chart('chart-util', {title: 'Utilisation per upstream', labels: names.length ? names : ['-'], unit: ''});
    util.key = key;
    charts.util = util;
    util.update([s.t, ...(names.length ? names.map((n) => s.upstreams[n].utilisation) : [[]])]);
    chart('chart-queue', {title: 'Queue per upstream', labels: names.length ? names : ['-'], unit: 'requests'})
        .update([s.t, ...(names.length ? names.map((n) => s.upstreams[n].waiting) : [[]])]);
    chart('chart-power', {title: 'Facility power draw', labels: ['fleet'], unit: 'W'})
        .update([s.t, s.power_w]);
    for (const tier of d.tiers) {
      const ts = s.tiers[tier.name];
      if (!ts) continue;
      if (!tierCharts[tier.name]) {
        const ttft = document.createElement('div');
        const tpot = document.createElement('div');
        ttft.className = tpot.className = 'chart';
        ttft.dataset.tier = tpot.dataset.tier = tier.name;
        $('tier-charts').append(ttft, tpot);
        tierCharts[tier.name] = {
          ttft: TF.lineChart(ttft, {title: `TTFT, tier ${tier.name}`, labels: ['p50', 'p95'], unit: 'ms',
                                    refs: [{label: 'SLO', value: tier.ttft_slo_ms}]}),
          tpot: TF.lineChart(tpot, {title: `TPOT, tier ${tier.name}`, labels: ['p50', 'p95'], unit: 'ms',
                                    refs: [{label: 'SLO', value: tier.tpot_slo_ms}]}),
        };
      }
      tierCharts[tier.name].ttft.update([s.t, ts.ttft_p50_ms, ts.ttft_p95_ms]);
      tierCharts[tier.name].tpot.update([s.t, ts.tpot_p50_ms, ts.tpot_p95_ms]);
    }
  }

  async function poll() {
    try {
      // Relative to /dashboard, so that a prefix in front of the gateway keeps working.
      const response = await fetch('dashboard/data', {cache: 'no-store'});
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const d = await response.json();
      $('gateway').textContent = `${d.gateway} · policy ${d.policy} · fleet generation ${d.generation}`;
      drawCards(d);
      drawTables(d);
      drawCharts(d);
      $('status').textContent = 'updated ' + new Date(d.now * 1000).toISOString().slice(11, 19) +
          ` UTC · ${d.series.t.length} samples every ${d.interval_s} s`;
      $('status').className = '';
      document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
    } catch (e) {
      $('status').textContent = 'no data: ' + e.message;
      $('status').className = 'stale';
    }
  }
  poll();
  setInterval(poll, POLL_MS);
})();
