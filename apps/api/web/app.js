// The divblur page: experiments, a λ sweep's plot and runs, a run's loss curves and held-out images, batch
// deconvolutions. Plain ES modules, no build step: everything comes from /v1 with the API key the user gives, kept
// in this tab's sessionStorage (gone when the tab closes) and sent as Authorization: Bearer.
import { formatNumber, linePlot } from './plot.js';

const KEY_STORE = 'divblur.apiKey';
const POLL_MS = 3000;
const FINAL = new Set(['succeeded', 'failed', 'cancelled']);
const METRICS = [
  ['psnr_mmse', 'PSNR of the MMSE (dB)'], ['psnr_samples', 'mean per-sample PSNR (dB)'], ['ssim', 'SSIM'],
  ['discrepancy', 'discrepancy ‖Ax̂ − y‖²/(Nσ²)'], ['mean_std', 'mean posterior std'],
];
const LOSS_TERMS = [['data', 'data term'], ['kl', 'KL'], ['penalty', 'penalty'], ['beta', 'β (KL weight)']];

const main = document.getElementById('main');
const tooltip = document.getElementById('tooltip');
let apiKey = sessionStorage.getItem(KEY_STORE);
/** Each render gets a generation: a poll or fetch of a view the user left stops there. */
let generation = 0;

// ---- DOM and HTTP helpers
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}
const short = (id) => (id ? id.slice(0, 8) : '–');
const statusBadge = (status) => h('span', { class: `status ${status}` }, status);
function progressBar(fraction) {
  const bar = h('span');
  bar.style.width = `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`; // CSSOM, not a style attribute: the page's CSP allows no inline styles
  return h('span', { class: 'progress', title: `${Math.round(fraction * 100)} %` }, bar);
}

class ApiError extends Error {
  constructor(status, body) { super(body?.message ?? `HTTP ${status}`); this.status = status; this.code = body?.code; }
}

async function request(path, { method = 'GET', as = 'json' } = {}) {
  const res = await fetch(path, { method, headers: { authorization: `Bearer ${apiKey}` } });
  if (res.status === 401 && path.startsWith('/v1/')) {
    forgetKey('The key was refused (unknown, revoked or mistyped): give another.');
    throw new ApiError(401, await res.json().catch(() => null));
  }
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  if (as === 'json') return res.json();
  if (as === 'response') return res;
  return res.text();
}
const get = (path) => request(path);

function poll(work) {
  const mine = generation;
  const tick = async () => {
    if (mine !== generation) return;
    let again = true;
    try { again = await work(); } catch (error) { showError(error); }
    if (again !== false && mine === generation) setTimeout(tick, POLL_MS);
  };
  return tick();
}

function showError(error) {
  if (error instanceof ApiError && error.status === 401) return;
  let box = document.getElementById('error');
  if (!box) {
    box = h('p', { id: 'error', class: 'error' });
    main.prepend(box);
  }
  box.textContent = error.message;
}

function hover(text, event) {
  if (text === null) { tooltip.hidden = true; return; }
  tooltip.textContent = text;
  tooltip.hidden = false;
  tooltip.style.left = `${event.clientX + 12}px`;
  tooltip.style.top = `${event.clientY + 12}px`;
}

// ---- the key
function forgetKey(message) {
  apiKey = null;
  sessionStorage.removeItem(KEY_STORE);
  renderLogin(message);
}

function renderLogin(message) {
  generation++;
  document.getElementById('nav').hidden = true;
  const input = h('input', { id: 'api-key', type: 'password', autocomplete: 'off', placeholder: 'dbk_…', required: true, 'aria-label': 'API key' });
  const form = h('form', { class: 'login', id: 'login' },
    h('h1', {}, 'divblur'),
    h('label', { for: 'api-key' }, 'Your API key (an admin makes one with divblur keys create). It stays in this tab only.'),
    input,
    h('button', { type: 'submit' }, 'Open'),
    message ? h('p', { class: 'error' }, message) : null);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    apiKey = input.value.trim();
    try {
      await get('/v1/experiments?limit=1');
      sessionStorage.setItem(KEY_STORE, apiKey);
      render();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) renderLogin(error.message);
    }
  });
  main.replaceChildren(form);
  input.focus();
}

// ---- experiments
async function renderExperiments() {
  const body = h('tbody');
  main.replaceChildren(h('h1', {}, 'Experiments'), h('table', { id: 'experiments' },
    h('thead', {}, h('tr', {}, ...['experiment', 'created', 'dataset', 'status', 'runs', 'progress'].map((c) => h('th', {}, c)))), body));
  await poll(async () => {
    const { items } = await get('/v1/experiments?limit=50');
    const details = await Promise.all(items.map((e) => get(`/v1/experiments/${e.id}`)));
    body.replaceChildren(...details.map((e) => {
      const done = ['succeeded', 'failed', 'cancelled'].reduce((sum, s) => sum + (e.runStatus[s] ?? 0), 0);
      return h('tr', { class: 'clickable', dataset: { experimentId: e.id }, onclick: () => { location.hash = `#/experiments/${e.id}`; } },
        h('td', { class: 'mono' }, h('a', { href: `#/experiments/${e.id}` }, short(e.id))),
        h('td', {}, new Date(e.createdAt).toLocaleString()), h('td', { class: 'mono' }, short(e.datasetId)),
        h('td', {}, statusBadge(e.status)), h('td', { class: 'num' }, `${done}/${e.runCount}`),
        h('td', {}, progressBar(e.runCount ? done / e.runCount : 0), ' ', h('span', { class: 'muted' }, Object.entries(e.runStatus).map(([s, n]) => `${n} ${s}`).join(', '))));
    }));
    if (items.length === 0) body.replaceChildren(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No experiments yet (POST /v1/experiments).')));
    return true; // keep the list live: new experiments appear
  });
}

// ---- one experiment: the sweep plot, the recommendation, the runs
const RUN_COLUMNS = [
  ['id', 'run', (r) => short(r.id)], ['status', 'status', (r) => r.status], ['progress', 'progress', (r) => r.progress],
  ['penalty', 'penalty', (r) => r.penalty], ['lambda', 'λ', (r) => r.lambda], ['kappa', 'κ', (r) => r.kappa], ['seed', 'seed', (r) => r.seed],
  ['psnrMmse', 'PSNR MMSE', (r) => r.psnrMmse], ['psnrSamples', 'PSNR samples', (r) => r.psnrSamples], ['ssim', 'SSIM', (r) => r.ssim],
  ['discrepancy', 'discrepancy', (r) => r.discrepancy],
];

async function renderExperiment(id) {
  const state = { metric: 'psnr_mmse', groupBy: 'penalty', x: 'lambda', sort: 'lambda', descending: false, runs: [], report: null };
  const select = (name, options, value) => h('select', { id: `select-${name}`, 'aria-label': name, onchange: (e) => { state[name] = e.target.value; refresh(); } },
    ...options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
  const plot = h('div', { class: 'plot', id: 'sweep-plot' });
  const recommendation = h('ul', { class: 'recommendations', id: 'recommendations' });
  const table = h('table', { id: 'runs' });
  const title = h('h1', {}, `Experiment ${short(id)}`);
  main.replaceChildren(title,
    h('div', { class: 'controls' },
      h('label', {}, 'metric ', select('metric', METRICS, state.metric)),
      h('label', {}, 'x ', select('x', [['lambda', 'λ'], ['kappa', 'κ']], state.x)),
      h('label', {}, 'lines by ', select('groupBy', [['penalty', 'penalty'], ['method', 'method'], ['kappa', 'κ'], ['none', 'none']], state.groupBy))),
    plot, h('h2', {}, 'Recommended λ without ground truth'),
    h('p', { class: 'muted' }, 'Morozov\'s discrepancy principle: per line, the run whose held-out ‖A x̂ − y‖²/(Nσ²) is closest to 1.'),
    recommendation, h('h2', {}, 'Runs'), table);

  const drawPlot = () => {
    const { report } = state;
    if (!report) return;
    const groups = [...new Set(report.rows.map((r) => r.group))];
    const nameOf = (group) => (report.groupBy === 'none' ? report.metric : `${report.groupBy}=${group}`);
    const series = groups.map((group) => ({
      name: nameOf(group),
      points: report.rows.filter((r) => r.group === group && r.value !== null).map((r) => ({
        x: r.x, y: r.value, runIds: r.runIds,
        label: `${nameOf(group)}, ${report.x} = ${formatNumber(r.x)}: ${formatNumber(r.value)}\nrun ${r.runIds.map(short).join(', ')}`,
      })),
    }));
    const marks = report.recommendations.filter((r) => r.runId !== null && r.x !== null).map((r) => {
      const row = report.rows.find((c) => c.group === r.group && c.x === r.x);
      return { x: r.x, y: row?.value ?? NaN, label: `recommended for ${nameOf(r.group)}: λ = ${formatNumber(r.lambda)} (discrepancy ${formatNumber(r.discrepancy)}, run ${short(r.runId)})` };
    });
    const metricLabel = METRICS.find(([m]) => m === report.metric)[1];
    plot.replaceChildren(linePlot({
      series, lines: report.baselines.map((b) => ({ name: b.method, y: b.value })), marks, logX: true,
      xLabel: report.x === 'lambda' ? 'λ' : 'κ', yLabel: metricLabel, onHover: hover,
      onClick: (p) => { if (p.runIds.length === 1) location.hash = `#/runs/${p.runIds[0]}`; },
    }));
    recommendation.replaceChildren(...report.recommendations.map((r) => h('li', { dataset: { group: r.group, runId: r.runId ?? '' } },
      r.runId === null ? `${nameOf(r.group)}: no run evaluated yet`
        : h('span', {}, `${nameOf(r.group)}: λ = ${formatNumber(r.lambda)} — discrepancy ${formatNumber(r.discrepancy)}, ${report.metric} ${formatNumber(r.value)}, `,
          h('a', { href: `#/runs/${r.runId}` }, `run ${short(r.runId)}`),
          r.bracketed ? '' : ' (every discrepancy lies on one side of 1: the sweep may not reach the noise level; extend it)'))));
  };

  const drawTable = () => {
    const discrepancyOf = new Map(state.report?.recommendations.flatMap((r) => r.candidates).map((c) => [c.runId, c.discrepancy]) ?? []);
    const recommended = new Set(state.report?.recommendations.map((r) => r.runId) ?? []);
    const rows = state.runs.map((r) => ({ ...r, discrepancy: discrepancyOf.get(r.id) ?? null }));
    const column = RUN_COLUMNS.find(([key]) => key === state.sort);
    rows.sort((a, b) => {
      const [va, vb] = [column[2](a), column[2](b)];
      if (va === vb) return 0;
      if (va === null) return 1;
      if (vb === null) return -1;
      return (va < vb ? -1 : 1) * (state.descending ? -1 : 1);
    });
    table.replaceChildren(
      h('thead', {}, h('tr', {}, ...RUN_COLUMNS.map(([key, label]) => h('th', {
        class: `sortable${state.sort === key ? (state.descending ? ' sorted-desc' : ' sorted-asc') : ''}`, dataset: { sort: key },
        onclick: () => { state.descending = state.sort === key ? !state.descending : false; state.sort = key; drawTable(); },
      }, label)))),
      h('tbody', {}, ...rows.map((r) => h('tr', {
        class: `clickable${recommended.has(r.id) ? ' recommended' : ''}`, dataset: { runId: r.id }, title: recommended.has(r.id) ? 'recommended by the discrepancy principle' : null,
        onclick: () => { location.hash = `#/runs/${r.id}`; },
      }, ...RUN_COLUMNS.map(([key, , value]) => {
        const v = value(r);
        if (key === 'status') return h('td', {}, statusBadge(v));
        if (key === 'progress') return h('td', {}, progressBar(v));
        return h('td', { class: typeof v === 'number' ? 'num' : key === 'id' ? 'mono' : null }, typeof v === 'number' ? formatNumber(v) : v ?? '–');
      })))));
  };

  const mine = generation;
  async function refresh() {
    const query = new URLSearchParams({ metric: state.metric, groupBy: state.groupBy, x: state.x });
    const [experiment, report, runs] = await Promise.all([
      get(`/v1/experiments/${id}`), get(`/v1/experiments/${id}/compare?${query}`), get(`/v1/runs?experimentId=${id}&limit=500`),
    ]);
    if (mine !== generation) return false;
    title.replaceChildren(`Experiment ${short(id)} `, statusBadge(experiment.status));
    Object.assign(state, { report, runs: runs.items });
    drawPlot();
    drawTable();
    return !FINAL.has(experiment.status) || runs.items.some((r) => !FINAL.has(r.status));
  }
  await poll(refresh);
}

// ---- one run: loss curves per term, the held-out images
async function renderRun(id) {
  const head = h('div');
  const losses = h('div', { class: 'loss-plots', id: 'loss-plots' });
  const images = h('div', { id: 'images' });
  main.replaceChildren(head, h('h2', {}, 'Loss per term'), losses, h('h2', {}, 'Held-out images'), images);
  const mine = generation;
  let imagesShown = false;
  await poll(async () => {
    const [run, loss, metrics] = await Promise.all([get(`/v1/runs/${id}`), get(`/v1/runs/${id}/loss?points=400`), get(`/v1/runs/${id}/metrics`)]);
    if (mine !== generation) return false;
    const m = metrics.items[0];
    head.replaceChildren(...[
      h('p', {}, h('a', { href: `#/experiments/${run.experimentId}` }, `← experiment ${short(run.experimentId)}`)),
      h('h1', {}, `Run ${short(run.id)} `, statusBadge(run.status)),
      h('p', {}, `${run.method}, penalty ${run.penalty}, λ = ${formatNumber(run.lambda)}, κ = ${formatNumber(run.kappa)}, seed ${run.seed}`),
      run.error ? h('p', { class: 'error' }, run.error) : null,
      h('p', { id: 'run-metrics' }, m ? `PSNR MMSE ${formatNumber(m.psnrMmse)} dB · PSNR samples ${formatNumber(m.psnrSamples)} dB · SSIM ${formatNumber(m.ssim)} · discrepancy ${formatNumber(m.discrepancy)} · mean std ${formatNumber(m.meanStd)} (${m.imageSet}, ${m.samples} samples)` : 'not evaluated yet'),
      run.status === 'training' ? h('p', {}, progressBar(run.progress), ` ${Math.round(run.progress * 100)} %`) : null,
    ].filter((node) => node !== null));
    losses.replaceChildren(...LOSS_TERMS.map(([term, label]) => h('div', { class: 'plot', dataset: { term } }, linePlot({
      title: label, width: 420, height: 240, xLabel: 'step', yLabel: term === 'beta' ? 'β' : 'per image', onHover: hover,
      series: [{ name: term, points: loss.points.filter((p) => p[term] !== null).map((p) => ({ x: p.step, y: p[term], label: `step ${p.step}: ${label} ${formatNumber(p[term])}` })) }],
    }))));
    if (!imagesShown && run.modelId && (run.status === 'succeeded' || run.status === 'failed')) {
      imagesShown = true;
      await renderImages(images, run).catch(showError);
    } else if (!imagesShown) images.replaceChildren(h('p', { class: 'muted' }, 'The images appear once the run is evaluated.'));
    return !FINAL.has(run.status);
  });
}

async function renderImages(container, run) {
  const [model, experiment] = await Promise.all([get(`/v1/models/${run.modelId}`), get(`/v1/experiments/${run.experimentId}`)]);
  const dataset = await get(`/v1/datasets/${experiment.datasetId}`);
  const count = model.meta?.evaluation?.evalIndices?.length ?? 0;
  const kinds = [['input', 'input (noisy)'], ['mmse', 'MMSE'], ['std', 'posterior std'], ...(dataset.gtKey ? [['gt', 'ground truth']] : [])];
  const view = { scale: 1, x: 0, y: 0 };
  const contrast = { min: null, max: null };
  const index = h('select', { id: 'image-index', 'aria-label': 'image' }, ...Array.from({ length: count }, (_, i) => h('option', { value: i }, `${i + 1} of ${count}`)));
  const black = h('input', { id: 'contrast-min', type: 'number', step: 'any', 'aria-label': 'black level' });
  const white = h('input', { id: 'contrast-max', type: 'number', step: 'any', 'aria-label': 'white level' });
  const panes = kinds.map(([kind, label]) => {
    const img = h('img', { alt: label, dataset: { kind }, draggable: 'false' });
    const caption = h('div', { class: 'caption' }, label);
    return { kind, img, caption, node: h('div', { class: 'pane', dataset: { kind } }, h('div', { class: 'viewport' }, img), caption) };
  });
  const applyView = () => { for (const p of panes) p.img.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.scale})`; };
  const urls = new Map();
  async function load(auto) {
    const i = index.value;
    // The input sets the shared contrast (its 0.1–99.9 percentiles) unless the user set one; the std has its own scale.
    const first = await request(`/v1/runs/${run.id}/images/${i}?kind=input${auto ? '' : `&min=${contrast.min}&max=${contrast.max}`}`, { as: 'response' });
    if (auto) {
      contrast.min = Number(first.headers.get('x-contrast-min'));
      contrast.max = Number(first.headers.get('x-contrast-max'));
      black.value = formatNumber(contrast.min);
      white.value = formatNumber(contrast.max);
    }
    const responses = [first, ...await Promise.all(panes.slice(1).map((p) => request(
      `/v1/runs/${run.id}/images/${i}?kind=${p.kind}${p.kind === 'std' ? '' : `&min=${contrast.min}&max=${contrast.max}`}`, { as: 'response' })))];
    for (const [j, res] of responses.entries()) {
      const pane = panes[j];
      const url = URL.createObjectURL(await res.blob());
      if (urls.has(pane.kind)) URL.revokeObjectURL(urls.get(pane.kind));
      urls.set(pane.kind, url);
      pane.img.src = url;
      pane.caption.textContent = `${kinds[j][1]} · image ${res.headers.get('x-image-index')} · [${formatNumber(Number(res.headers.get('x-contrast-min')))}, ${formatNumber(Number(res.headers.get('x-contrast-max')))}]`;
    }
  }
  const setContrast = () => {
    const [min, max] = [Number(black.value), Number(white.value)];
    if (Number.isFinite(min) && Number.isFinite(max) && min < max) { Object.assign(contrast, { min, max }); load(false).catch(showError); }
  };
  black.addEventListener('change', setContrast);
  white.addEventListener('change', setContrast);
  index.addEventListener('change', () => load(true).catch(showError));
  // One zoom and pan for every pane: the wheel zooms about the cursor, a drag pans.
  for (const pane of panes) {
    const viewport = pane.node.querySelector('.viewport');
    viewport.addEventListener('wheel', (event) => {
      event.preventDefault();
      const rect = viewport.getBoundingClientRect();
      const [cx, cy] = [event.clientX - rect.left, event.clientY - rect.top];
      const factor = event.deltaY < 0 ? 1.25 : 0.8;
      const scale = Math.min(64, Math.max(1, view.scale * factor));
      view.x = cx - ((cx - view.x) * scale) / view.scale;
      view.y = cy - ((cy - view.y) * scale) / view.scale;
      view.scale = scale;
      if (scale === 1) Object.assign(view, { x: 0, y: 0 });
      applyView();
    }, { passive: false });
    viewport.addEventListener('pointerdown', (event) => {
      const start = { x: event.clientX - view.x, y: event.clientY - view.y };
      viewport.setPointerCapture(event.pointerId);
      const move = (e) => { view.x = e.clientX - start.x; view.y = e.clientY - start.y; applyView(); };
      const up = () => { viewport.removeEventListener('pointermove', move); viewport.removeEventListener('pointerup', up); };
      viewport.addEventListener('pointermove', move);
      viewport.addEventListener('pointerup', up);
    });
  }
  container.replaceChildren(
    h('div', { class: 'controls' }, h('label', {}, 'image ', index), h('label', {}, 'black ', black), h('label', {}, 'white ', white),
      h('button', { type: 'button', onclick: () => load(true).catch(showError) }, 'auto contrast'),
      h('button', { type: 'button', id: 'reset-view', onclick: () => { Object.assign(view, { scale: 1, x: 0, y: 0 }); applyView(); } }, 'reset zoom'),
      h('span', { class: 'muted' }, 'wheel: zoom · drag: pan (all images together) · std on its own scale')),
    h('div', { class: 'images' }, ...panes.map((p) => p.node)));
  if (count === 0) { container.replaceChildren(h('p', { class: 'muted' }, 'This model records no held-out images.')); return; }
  await load(true);
}

// ---- batch deconvolutions: GET /v1/deconvolutions (newest first; a project key's its project's), followed page by page
const BATCH_PAGE = 50;
async function renderBatches() {
  let wanted = BATCH_PAGE;
  const status = h('select', { id: 'batch-status', onchange: () => { wanted = BATCH_PAGE; refresh().catch(showError); } },
    ...['', 'queued', 'running', 'succeeded', 'failed', 'cancelled'].map((s) => h('option', { value: s }, s || 'any status')));
  const more = h('button', { type: 'button', id: 'batch-more', hidden: true, onclick: () => { wanted += BATCH_PAGE; refresh().catch(showError); } }, 'Show older');
  const body = h('tbody');
  main.replaceChildren(h('h1', {}, 'Batch deconvolutions'),
    h('p', { class: 'muted' }, 'The batches, newest first, live (POST /v1/deconvolutions starts one).'), h('div', { class: 'controls' }, h('label', {}, 'status ', status)),
    h('table', { id: 'batches' }, h('thead', {}, h('tr', {}, ...['batch', 'created', 'status', 'pages', 'progress', 'pages/h', 'ETA', 'inputs'].map((c) => h('th', {}, c)))), body), more);
  async function load() {
    const batches = [];
    let cursor = null;
    do {
      const query = new URLSearchParams({ limit: String(Math.min(wanted - batches.length, 500)) });
      if (status.value) query.set('status', status.value);
      if (cursor) query.set('cursor', cursor);
      const page = await get(`/v1/deconvolutions?${query}`);
      batches.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && batches.length < wanted);
    return { batches, older: cursor !== null };
  }
  async function refresh() {
    const mine = generation;
    const { batches, older } = await load();
    if (mine !== generation) return;
    more.hidden = !older;
    body.replaceChildren(...batches.map((b) => h('tr', { dataset: { batchId: b.id } }, h('td', { class: 'mono', title: b.id }, short(b.id)),
      h('td', {}, new Date(b.createdAt).toLocaleString()), h('td', {}, statusBadge(b.status)),
      h('td', { class: 'num' }, `${b.pages.done}/${b.pages.total}${b.pages.failed ? ` (${b.pages.failed} failed)` : ''}`),
      h('td', {}, progressBar(b.pages.total ? (b.pages.done + b.pages.failed) / b.pages.total : 0)),
      h('td', { class: 'num' }, formatNumber(b.pagesPerHour)), h('td', { class: 'num' }, b.etaSeconds === null ? '–' : `${Math.round(b.etaSeconds)} s`),
      h('td', {}, b.inputs.map((i) => `${i.name}: ${i.status}`).join(', ')))));
    if (batches.length === 0) body.replaceChildren(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, status.value ? `No ${status.value} batch.` : 'No batch yet.')));
  }
  await poll(async () => { await refresh(); return true; }); // keep the list live: new batches appear, running ones move
}

// ---- the queue dashboard: a cookie session made with the key, then bull-board's own page
document.getElementById('queues-link').addEventListener('click', async (event) => {
  event.preventDefault();
  try {
    const { path } = await request('/v1/queue-dashboard/session', { method: 'POST' });
    location.href = path;
  } catch (error) {
    showError(error.status === 403 ? new Error('The queue dashboard needs a lab-wide admin key.') : error);
  }
});
document.getElementById('forget-key').addEventListener('click', () => forgetKey());

// ---- routing: #/ · #/experiments/<id> · #/runs/<id> · #/batches
function render() {
  generation++;
  tooltip.hidden = true;
  if (!apiKey) { renderLogin(); return; }
  document.getElementById('nav').hidden = false;
  const [, kind, id] = location.hash.replace(/^#/, '').split('/');
  const view = kind === 'experiments' && id ? renderExperiment(id) : kind === 'runs' && id ? renderRun(id) : kind === 'batches' ? renderBatches() : renderExperiments();
  view.catch(showError);
}
window.addEventListener('hashchange', render);
render();
