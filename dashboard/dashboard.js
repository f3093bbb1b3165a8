// The admin dashboard: reads stats.json (admin_credit_stats as of the last rollup refresh, whole
// UTC days) for the chosen period and renders it. No framework; charts with uPlot. Every value
// shown keeps its source in data-field/data-value (the browser tests compare them with the
// document), and every chart has its numbers in a table. Money is formatted from the exact
// decimal strings (rounded as text), never summed or divided in floating point here.

const DAY_MS = 86_400_000;
/** The period a page address names: ?days=N or ?from=&to= (a link to a view), else 30 days. */
function periodOf(search) {
  const params = new URLSearchParams(search);
  return params.get('from') && params.get('to')
    ? { days: null, from: params.get('from'), to: params.get('to') }
    : { days: Number(params.get('days')) || 30, from: null, to: null };
}
// The period shown (or being loaded): the address's, and the address follows every choice.
const state = periodOf(location.search);
/** The charts by name, with the values they plot (read by the browser tests). */
const charts = {};
window.dashboard = { charts, document: null };

// ---------- formatting ----------

const NO_DATA = 'no data';
const integer = new Intl.NumberFormat('en-US');

function count(value) {
  return integer.format(value);
}
function percent(rate) {
  return rate === null || rate === undefined ? NO_DATA : `${(rate * 100).toFixed(1)} %`;
}
/** A decimal string rounded half up to `digits` places, as text: "12.3456789" → "12.35". */
function roundDecimal(text, digits) {
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = (negative ? text.slice(1) : text).split('.');
  const padded = (fraction + '0'.repeat(digits + 1)).slice(0, digits + 1);
  let digitsText = whole + padded.slice(0, digits);
  if (padded[digits] >= '5') {
    // add one unit in the last place, carrying through the digits
    const chars = digitsText.split('');
    let i = chars.length - 1;
    while (i >= 0) {
      if (chars[i] === '9') {
        chars[i] = '0';
        i--;
      } else {
        chars[i] = String(Number(chars[i]) + 1);
        break;
      }
    }
    digitsText = (i < 0 ? '1' : '') + chars.join('');
  }
  const cut = digitsText.length - digits;
  const intPart = digitsText.slice(0, cut).replace(/^0+(?=\d)/, '') || '0';
  const grouped = intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const result = digits ? `${grouped}.${digitsText.slice(cut)}` : grouped;
  return negative && /[1-9]/.test(result) ? `-${result}` : result;
}
function money(text, digits = 2) {
  return text === null || text === undefined ? NO_DATA : `$${roundDecimal(text, digits)}`;
}
function ms(value) {
  return value === null || value === undefined ? NO_DATA : `≈ ${integer.format(Math.round(value))} ms`;
}

// ---------- DOM helpers ----------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}
/** A cell or figure that shows `text` for the document's value at `field`. */
function valued(tag, field, value, text, attributes = {}) {
  return el(tag, { ...attributes, 'data-field': field, 'data-value': value === null ? 'null' : String(value) }, text);
}
function table(node, columns, rows, caption) {
  node.replaceChildren();
  if (caption) node.append(el('caption', {}, caption));
  node.append(
    el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', { scope: 'col', class: c.numeric ? 'num' : undefined }, c.label)))),
  );
  const body = el('tbody');
  if (rows.length === 0) body.append(el('tr', {}, el('td', { colspan: String(columns.length), class: 'none' }, NO_DATA)));
  for (const [index, row] of rows.entries()) {
    body.append(
      el(
        'tr',
        {},
        ...columns.map((c) => {
          const cell = c.cell(row, index);
          if (c.numeric) cell.classList.add('num');
          return cell;
        }),
      ),
    );
  }
  node.append(body);
}

// ---------- the period ----------

const isoDay = (date) => date.toISOString().slice(0, 10);

function query() {
  return state.from ? `from=${state.from}&to=${state.to}` : `days=${state.days}`;
}
/** The page's address for the current period, its other parameters kept (a token, an app's own). */
function address() {
  const params = new URLSearchParams(location.search);
  for (const name of ['days', 'from', 'to']) params.delete(name);
  for (const [name, value] of new URLSearchParams(query())) params.set(name, value);
  return `?${params}`;
}
/** The chosen period on the selector: its preset pressed, the others not; a custom range in the form. */
function syncPresets() {
  const form = document.getElementById('period');
  for (const button of form.querySelectorAll('[data-days]')) {
    button.setAttribute('aria-pressed', String(!state.from && Number(button.dataset.days) === state.days));
  }
  if (state.from) {
    form.elements.from.value = state.from;
    form.elements.to.value = state.to;
  }
}
function syncForm(doc) {
  const form = document.getElementById('period');
  form.elements.from.value = doc.period.from.slice(0, 10);
  form.elements.to.value = isoDay(new Date(Date.parse(doc.period.to) - DAY_MS));
}

// ---------- the sections ----------

function renderHealth(doc) {
  const h = doc.health;
  const periodSuccess = doc.success_rate;
  const periodRefund = doc.refunds.rate;
  const periodState = (rate, limit, below) => (rate === null ? 'no_data' : (below ? rate < limit : rate > limit) ? 'alert' : 'ok');
  const rows = [
    {
      check: 'Success rate',
      today: percent(h.success_rate),
      todayField: 'health.success_rate',
      todayValue: h.success_rate,
      period: percent(periodSuccess),
      periodField: 'success_rate',
      periodValue: periodSuccess,
      threshold: `min ${percent(h.success_rate_min)}`,
      state: h.success_status,
      stateField: 'health.success_status',
      periodState: periodState(periodSuccess, h.success_rate_min, true),
    },
    {
      check: 'Failures',
      today: count(h.failures),
      todayField: 'health.failures',
      todayValue: h.failures,
      period: count(doc.totals.failed),
      periodField: 'totals.failed',
      periodValue: doc.totals.failed,
      threshold: `max ${count(h.failures_max)} a day`,
      state: h.failures_status,
      stateField: 'health.failures_status',
    },
    {
      check: 'Refund rate',
      today: percent(h.refund_rate),
      todayField: 'health.refund_rate',
      todayValue: h.refund_rate,
      period: percent(periodRefund),
      periodField: 'refunds.rate',
      periodValue: periodRefund,
      threshold: `max ${percent(h.refund_rate_max)}`,
      state: h.refund_status,
      stateField: 'health.refund_status',
      periodState: periodState(periodRefund, h.refund_rate_max, false),
    },
    {
      check: 'Stuck tasks (now)',
      today: count(h.stuck_tasks),
      todayField: 'health.stuck_tasks',
      todayValue: h.stuck_tasks,
      period: '',
      threshold: `max ${count(h.stuck_tasks_max)}`,
      state: h.stuck_status,
      stateField: 'health.stuck_status',
    },
    {
      check: 'Unpriced spend',
      today: h.unpriced ? `${count(h.unpriced)} ${h.unpriced === 1 ? 'completion' : 'completions'} without a cost` : count(0),
      todayField: 'health.unpriced',
      todayValue: h.unpriced,
      period: count(doc.pricing.unpriced),
      periodField: 'pricing.unpriced',
      periodValue: doc.pricing.unpriced,
      threshold: 'every completion priced',
      state: h.cost_status,
      stateField: 'health.cost_status',
    },
    {
      check: 'Figures refreshed',
      today: h.rollups_refreshed_at ? `${h.rollups_refreshed_at.slice(11, 19)} UTC` : 'never',
      todayField: 'health.rollups_refreshed_at',
      todayValue: h.rollups_refreshed_at,
      period: '',
      threshold: 'every minute',
      state: h.rollups_status,
      stateField: 'health.rollups_status',
    },
  ];
  const label = {
    ok: 'ok',
    alert: 'alert',
    no_data: NO_DATA,
    incomplete: 'incomplete',
    warn: 'warning',
    stale: 'alert: stale',
    never: 'alert: never',
  };
  const periodNote = { alert: (below) => (below ? ' (below min)' : ' (above max)') };
  const body = document.getElementById('health-rows');
  body.replaceChildren(
    ...rows.map((r) =>
      el(
        'tr',
        { class: `state-${r.state}` },
        el('th', { scope: 'row' }, r.check),
        valued('td', r.stateField, r.state, label[r.state] ?? r.state, { class: 'state' }),
        // data-label: the column's name, shown above each figure where a phone stacks the row
        valued('td', r.todayField, r.todayValue, r.today, { class: 'num', 'data-label': 'Today' }),
        r.periodField
          ? valued(
              'td',
              r.periodField,
              r.periodValue,
              r.period + (r.periodState === 'alert' ? periodNote.alert(r.check === 'Success rate') : ''),
              { class: `num${r.periodState ? ` period-${r.periodState}` : ''}`, 'data-state': r.periodState, 'data-label': 'Period' },
            )
          : el('td', { class: 'num', 'data-label': 'Period' }, '–'),
        el('td', { 'data-label': 'Threshold' }, r.threshold),
      ),
    ),
  );
  const section = document.getElementById('health');
  section.className = `health overall-${h.status}`;
  section.setAttribute('data-status', h.status);
}

function renderHeadline(doc) {
  const t = doc.totals;
  const empty = t.generations === 0;
  document.getElementById('empty').hidden = !empty;
  // A period without generations has nothing to count: "no data", not a row of zeros.
  const figure = (label, field, value, text) =>
    el('div', { class: 'figure' }, el('dt', {}, label), valued('dd', field, value, empty ? NO_DATA : text));
  const figures = [
    figure('Generations', 'totals.generations', t.generations, count(t.generations)),
    figure('Success rate', 'success_rate', doc.success_rate, percent(doc.success_rate)),
    figure('Failures', 'totals.failed', t.failed, count(t.failed)),
    figure('Refunded tasks', 'refunds.tasks', doc.refunds.tasks, count(doc.refunds.tasks)),
    figure('Credits refunded', 'refunds.credits', doc.refunds.credits, count(doc.refunds.credits)),
    figure('Refund rate', 'refunds.rate', doc.refunds.rate, percent(doc.refunds.rate)),
    figure('WaveSpeed spend', 'totals.provider_cost_usd', t.provider_cost_usd, money(t.provider_cost_usd)),
    figure('Cost per generation', 'totals.cost_per_generation', t.cost_per_generation, money(t.cost_per_generation, 4)),
    figure('Cost per success', 'totals.cost_per_success', t.cost_per_success, money(t.cost_per_success, 4)),
    figure('In flight', 'totals.in_flight', t.in_flight, count(t.in_flight)),
  ];
  // Holds settled below themselves (contract §11: a video shorter than its hold, a batch with a
  // missing output): what the starts held and what the generations used differ, so both show,
  // with what the settlements gave back (not refunds: the refund figures count failures only).
  if (t.credits_settled > 0) {
    figures.push(
      figure('Credits held', 'totals.credits_charged', t.credits_charged, count(t.credits_charged)),
      figure('Credits used', 'totals.credits_used', t.credits_used, count(t.credits_used)),
      figure('Settled back', 'totals.credits_settled', t.credits_settled, count(t.credits_settled)),
    );
  }
  // Spend the provider reported for jobs no task recorded (a lost submission answer): not in the
  // spend above, part of the bill.
  const lost = doc.unmatched_provider_results;
  if (lost.count > 0) {
    figures.push(
      figure(
        `Spend without a task (${count(lost.count)} lost submissions)`,
        'unmatched_provider_results.cost_usd',
        lost.cost_usd,
        money(lost.cost_usd),
      ),
    );
  }
  document.getElementById('headline').replaceChildren(...figures);
}

/** A percent axis tick, with the decimals its step needs (2.5 %, not 3 %). */
function percentTick(v, ticks) {
  // the step in percent, rid of binary noise (0.05 * 100 is 5.000000000000001)
  const step = ticks.length > 1 ? Math.round(Math.abs(ticks[1] - ticks[0]) * 100_000) / 1000 : 100;
  return `${(v * 100).toFixed(step < 1 ? 2 : step % 1 !== 0 ? 1 : 0)}%`;
}

/** A dashed horizontal line at the threshold, across the plotting area. */
function drawThreshold(u, value) {
  const y = u.valToPos(value, 'y', true);
  const { left, width } = u.bbox;
  const ctx = u.ctx;
  ctx.save();
  ctx.strokeStyle = '#6b7280';
  ctx.setLineDash([6, 4]);
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(left, y);
  ctx.lineTo(left + width, y);
  ctx.stroke();
  ctx.restore();
}

/** uPlot's time steps (seconds) from a day up: 1–15 days, months, years. */
const DAY_TICKS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 30, 60, 90, 120, 180, 365, 730, 1825].map((days) => days * 86_400);

/** The trend charts: one point per day of the range per series, each with its table. */
const chartSpecs = [
  {
    name: 'generations',
    title: 'Generations and failures',
    series: [
      { label: 'Generations', key: 'generations', color: '#2563eb', text: count },
      { label: 'Failures', key: 'failed', color: '#dc2626', text: count },
    ],
  },
  {
    name: 'success_rate',
    title: 'Success rate (min 95 %)',
    threshold: (doc) => doc.health.success_rate_min,
    percent: true,
    range: (min) => [Math.min(0.8, Math.floor((min ?? 1) * 20) / 20), 1],
    series: [{ label: 'Success rate', key: 'success_rate', color: '#16a34a', text: percent }],
  },
  {
    name: 'spend',
    title: 'WaveSpeed spend (USD)',
    series: [
      { label: 'Spend', key: 'provider_cost_usd', decimal: true, color: '#7c3aed', text: (v) => money(v) },
      { label: 'Spend on failures', key: 'failed_cost_usd', decimal: true, color: '#f97316', text: (v) => money(v) },
    ],
  },
  {
    name: 'refund_rate',
    title: 'Refund rate (max 5 %)',
    threshold: (doc) => doc.health.refund_rate_max,
    percent: true,
    range: (_min, max) => [0, Math.max(0.1, Math.ceil((max ?? 0) * 20) / 20)],
    series: [{ label: 'Refund rate', key: 'refund_rate', color: '#ea580c', text: percent }],
  },
];

function renderCharts(doc) {
  const container = document.getElementById('charts');
  for (const chart of Object.values(charts)) chart.plot.destroy();
  container.replaceChildren();
  const days = doc.daily.map((d) => d.day);
  const xs = days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000);
  for (const spec of chartSpecs) {
    const threshold = spec.threshold?.(doc);
    const values = spec.series.map((s) => doc.daily.map((d) => (d[s.key] === null ? null : Number(d[s.key]))));
    const box = el('figure', { class: 'chart', 'data-chart': spec.name });
    const plotArea = el('div', { class: 'plot' });
    box.append(el('figcaption', {}, spec.title), plotArea);
    const numbers = el('table', { class: 'data numbers' });
    table(
      numbers,
      [
        { label: 'Day', cell: (d) => el('th', { scope: 'row' }, d.day) },
        ...spec.series.map((s) => ({
          label: s.label,
          numeric: true,
          cell: (d, i) => valued('td', `daily.${i}.${s.key}`, d[s.key], s.text(d[s.key])),
        })),
      ],
      doc.daily,
      `${spec.title}: the numbers`,
    );
    const details = el('details', { class: 'numbers' }, el('summary', {}, 'Numbers'), el('div', { class: 'scroll' }, numbers));
    box.append(details);
    container.append(box);

    const series = [
      {},
      ...spec.series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: 2,
        points: { show: days.length <= 45 },
        value: (_u, v) => (v === null ? NO_DATA : spec.percent ? percent(v) : s.decimal ? `$${v.toFixed(2)}` : count(v)),
      })),
    ];
    const data = [xs, ...values];
    if (threshold !== undefined) {
      series.push({
        label: spec.percent ? `Threshold ${percent(threshold)}` : 'Threshold',
        stroke: '#6b7280',
        dash: [6, 4],
        width: 1,
        points: { show: false },
      });
      data.push(xs.map(() => threshold));
    }
    const plot = new uPlot(
      {
        width: Math.max(240, plotArea.clientWidth || 300),
        height: 200,
        series,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'), // the days are UTC days
        scales: { x: { time: true }, y: spec.range ? { range: (_u, min, max) => spec.range(min, max) } : {} },
        axes: [
          // ticks a whole number of days apart: one point a day, never hours between them
          { incrs: DAY_TICKS },
          {
            values: (_u, ticks) => ticks.map((v) => (spec.percent ? percentTick(v, ticks) : spec.series[0].decimal ? `$${v}` : count(v))),
            size: 60,
          },
        ],
        // the threshold across the whole plot, also when a single day gives its series one point
        hooks: threshold === undefined ? {} : { draw: [(u) => drawThreshold(u, threshold)] },
        legend: { live: false },
      },
      data,
      plotArea,
    );
    // one day: half a day either side of its point, not uPlot's default span
    if (xs.length === 1) plot.setScale('x', { min: xs[0] - 43_200, max: xs[0] + 43_200 });
    charts[spec.name] = { plot, days, series: Object.fromEntries(spec.series.map((s, i) => [s.key, values[i]])), threshold };
  }
}

function renderProviders(doc) {
  // held and used differ by failures' refunds too: the columns show for settlements only
  const settled = doc.totals.credits_settled > 0;
  // credits are figures of a model (a provider's row leaves them to its models)
  const modelCell = (x, key, format) =>
    x.kind === 'model' ? valued('td', `${x.field}.${key}`, x.r[key], format(x.r[key])) : el('td', { class: 'num' }, '');
  const rows = doc.providers.flatMap((p, pi) => [
    { kind: 'provider', field: `providers.${pi}`, name: p.provider, r: p },
    ...p.models.map((m, mi) => ({ kind: 'model', field: `providers.${pi}.models.${mi}`, name: m.model, r: m })),
  ]);
  table(
    document.getElementById('providers'),
    [
      { label: 'Provider / model', cell: (x) => el('th', { scope: 'row', class: x.kind }, x.name) },
      { label: 'Generations', numeric: true, cell: (x) => valued('td', `${x.field}.generations`, x.r.generations, count(x.r.generations)) },
      {
        label: 'Success rate',
        numeric: true,
        cell: (x) => valued('td', `${x.field}.success_rate`, x.r.success_rate, percent(x.r.success_rate)),
      },
      {
        label: 'Latency p50',
        numeric: true,
        cell: (x) => valued('td', `${x.field}.latency_p50_ms`, x.r.latency_p50_ms, ms(x.r.latency_p50_ms)),
      },
      {
        label: 'Latency p95',
        numeric: true,
        cell: (x) => valued('td', `${x.field}.latency_p95_ms`, x.r.latency_p95_ms, ms(x.r.latency_p95_ms)),
      },
      {
        label: 'Spend',
        numeric: true,
        cell: (x) => valued('td', `${x.field}.provider_cost_usd`, x.r.provider_cost_usd, money(x.r.provider_cost_usd)),
      },
      {
        label: 'Cost per success',
        numeric: true,
        cell: (x) => valued('td', `${x.field}.cost_per_success`, x.r.cost_per_success, money(x.r.cost_per_success, 4)),
      },
      { label: 'Unpriced', numeric: true, cell: (x) => valued('td', `${x.field}.unpriced`, x.r.unpriced, count(x.r.unpriced)) },
      // held vs used, per model, where some hold was settled below itself (the margin with them)
      ...(settled
        ? [
            { label: 'Credits held', numeric: true, cell: (x) => modelCell(x, 'credits_charged', count) },
            { label: 'Credits used', numeric: true, cell: (x) => modelCell(x, 'credits_used', count) },
            { label: 'Cost per credit used', numeric: true, cell: (x) => modelCell(x, 'cost_per_credit_used', (v) => money(v, 4)) },
          ]
        : []),
    ],
    rows,
    undefined,
  );
}

function renderFailures(doc) {
  const sources = ['callback', 'api_error', 'timeout', 'admin', 'unknown'].filter((s) => s !== 'unknown' || doc.failures.by_source.unknown);
  table(
    document.getElementById('failure-sources'),
    [
      { label: 'Source', cell: (s) => el('th', { scope: 'row' }, s) },
      {
        label: 'Failures',
        numeric: true,
        cell: (s) => valued('td', `failures.by_source.${s}`, doc.failures.by_source[s] ?? 0, count(doc.failures.by_source[s] ?? 0)),
      },
    ],
    doc.totals.generations === 0 ? [] : sources,
  );
  table(
    document.getElementById('top-errors'),
    [
      { label: 'Error', cell: (e, i) => valued('td', `failures.top_errors.${i}.error`, e.error, e.error, { class: 'error' }) },
      {
        label: 'Failures',
        numeric: true,
        cell: (e, i) => valued('td', `failures.top_errors.${i}.failures`, e.failures, count(e.failures)),
      },
      { label: 'Provider', cell: (e) => el('td', {}, e.provider) },
      { label: 'Source', cell: (e) => el('td', {}, e.failure_source) },
    ],
    doc.failures.top_errors,
  );
}

function renderUsers(doc) {
  // Each ranking's own figure comes right after the user: on a phone the columns past it scroll.
  for (const [id, key, order] of [
    ['top-users', 'top_users', ['charged', 'refunded', 'generations', 'spend']],
    ['top-users-by-cost', 'top_users_by_cost', ['spend', 'generations', 'charged', 'refunded']],
    ['top-users-by-generations', 'top_users_by_generations', ['generations', 'charged', 'refunded', 'spend']],
  ]) {
    const columns = {
      generations: {
        label: 'Generations',
        numeric: true,
        cell: (u, i) => valued('td', `${key}.${i}.generations`, u.generations, count(u.generations)),
      },
      charged: {
        label: 'Charged',
        numeric: true,
        cell: (u, i) => valued('td', `${key}.${i}.credits_charged`, u.credits_charged, count(u.credits_charged)),
      },
      refunded: {
        label: 'Refunded',
        numeric: true,
        cell: (u, i) => valued('td', `${key}.${i}.credits_refunded`, u.credits_refunded, count(u.credits_refunded)),
      },
      spend: {
        label: 'Spend',
        numeric: true,
        cell: (u, i) => valued('td', `${key}.${i}.provider_cost_usd`, u.provider_cost_usd, money(u.provider_cost_usd)),
      },
    };
    table(
      document.getElementById(id),
      [
        {
          // the account that paid: a user's own, or a team's (its members' generations together)
          label: 'Account',
          cell: (u, i) => {
            const cell = valued('td', `${key}.${i}.user_id`, u.user_id, `${u.user_id.slice(0, 8)}…${u.user_id.slice(-4)}`, {
              class: 'user',
              title: u.user_id,
            });
            if (u.members !== null && u.members !== undefined)
              cell.append(' ', valued('span', `${key}.${i}.members`, u.members, `team of ${count(u.members)}`, { class: 'team' }));
            // credits revoked beyond what it held (a chargeback): repaid first by what comes in
            if (u.debt_credits > 0)
              cell.append(
                ' ',
                valued('span', `${key}.${i}.debt_credits`, u.debt_credits, `owes ${count(u.debt_credits)}`, { class: 'debt' }),
              );
            return cell;
          },
        },
        ...order.map((name) => columns[name]),
      ],
      doc[key],
    );
  }
}

function renderHints(doc) {
  const list = document.getElementById('hints');
  list.replaceChildren(
    ...(doc.optimization_hints.length
      ? doc.optimization_hints.map((h) =>
          el('li', {}, el('strong', {}, `${h.provider} / ${h.model}`), `: ${h.hint} (${count(h.generations)} generations)`),
        )
      : [el('li', { class: 'none' }, 'Nothing to look at: no model stands out.')]),
  );
}

function render(doc) {
  window.dashboard.document = doc;
  syncForm(doc);
  document.getElementById('dashboard').hidden = false;
  renderHealth(doc);
  renderHeadline(doc);
  renderCharts(doc);
  renderProviders(doc);
  renderFailures(doc);
  renderUsers(doc);
  renderHints(doc);
  const through = doc.data_through ? `${doc.data_through.replace('T', ' ').slice(0, 19)} UTC` : 'never: run monitoring.refresh_rollups()';
  document.getElementById('footer').textContent =
    `${doc.period.from.slice(0, 10)} to ${isoDay(new Date(Date.parse(doc.period.to) - DAY_MS))} (UTC days). Figures as of the last rollup refresh: ${through}.`;
  // The figures are the rollups': say so when their refresh is not running (platform_health's
  // rollups_status, against its threshold rollups_stale_after_minutes).
  const stale = document.getElementById('stale');
  stale.hidden = doc.health.rollups_status === 'ok';
  stale.textContent = doc.data_through
    ? `These figures are ${Math.round((Date.now() - Date.parse(doc.data_through)) / 60_000)} minutes old: the rollups were last refreshed at ${through}. Schedule monitoring.refresh_rollups() every minute (docs/monitoring.md).`
    : 'The rollups have never been refreshed: every figure is missing. Run select * from monitoring.refresh_rollups(); and schedule it every minute (docs/monitoring.md).';
}

// ---------- loading ----------

/** No figures: those on the page belong to another period than the one chosen. */
function clearFigures() {
  window.dashboard.document = null;
  document.getElementById('dashboard').hidden = true;
  document.getElementById('stale').hidden = true;
  document.getElementById('footer').textContent = '';
}

let loading = 0; // the latest load: an answer to an earlier choice that arrives late is dropped
async function load() {
  const current = ++loading;
  syncPresets();
  const status = document.getElementById('status');
  status.textContent = 'Loading…';
  document.body.setAttribute('data-state', 'loading');
  try {
    const response = await fetch(`stats.json?${query()}`, { headers: { accept: 'application/json' } });
    const json = (response.headers.get('content-type') ?? '').includes('application/json');
    const body = json ? await response.json() : { message: (await response.text()).trim() };
    if (current !== loading) return;
    if (!response.ok) throw new Error(body.message || `HTTP ${response.status}`);
    render(body);
    status.textContent = '';
    status.classList.remove('error');
    document.body.setAttribute('data-state', 'ready');
  } catch (error) {
    if (current !== loading) return;
    clearFigures();
    status.textContent = `Could not load the figures: ${error.message}`;
    status.classList.add('error');
    document.body.setAttribute('data-state', 'error');
  }
}

/** A period chosen on the page: into the address (a new history entry), then its figures. */
function choose(period) {
  Object.assign(state, period);
  if (address() !== location.search) history.pushState(null, '', address());
  void load();
}

document.getElementById('period').addEventListener('click', (event) => {
  const days = event.target.closest('[data-days]')?.dataset.days;
  if (!days) return;
  choose({ days: Number(days), from: null, to: null });
});
document.getElementById('period').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  choose({ days: null, from: form.elements.from.value, to: form.elements.to.value });
});
// Back and forward: the period of the address returned to.
window.addEventListener('popstate', () => {
  Object.assign(state, periodOf(location.search));
  void load();
});
let resizeTimer;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    for (const chart of Object.values(charts)) {
      const area = chart.plot.root.parentElement;
      chart.plot.setSize({ width: Math.max(240, area.clientWidth), height: 200 });
    }
  }, 100);
});
void load();
