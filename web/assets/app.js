// gigq dashboard: a single page on hash routes (#/, #/jobs/{id},
// #/workflows/{id}) over the JSON API, kept live by the event stream.
// Plain JS, no dependencies, nothing loaded from elsewhere.
'use strict';
(() => {
  const STATES = ['pending', 'running', 'completed', 'failed', 'timeout', 'cancelled'];
  const PAGE = 25;
  const KINDS = ['submitted', 'started', 'completed', 'retrying', 'failed', 'timeout', 'cancelled', 'requeued', 'workflow', 'progress'];
  const main = document.getElementById('main');
  // The SVG namespace, read from the parser rather than written out.
  const SVG = (() => { const d = document.createElement('div'); d.innerHTML = '<svg></svg>'; return d.firstChild.namespaceURI; })();

  // h builds an element: h('td', {class: 'num'}, 'text', child, ...).
  // Attributes named on* are listeners; null and false ones are skipped.
  // A tag 'svg:rect' makes an SVG element.
  function h(tag, attrs, ...kids) {
    const el = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const kid of kids.flat()) {
      if (kid != null && kid !== false) el.append(kid instanceof Node ? kid : String(kid));
    }
    return el;
  }

  // api fetches JSON from the API; a 401 sends the page to the login form.
  async function api(path, method) {
    const r = await fetch(path, { method: method || 'GET', credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (r.status === 401) {
      location.href = '/login';
      throw new Error('not logged in');
    }
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.error || r.status + ' ' + r.statusText);
    return body;
  }

  // debounce returns f delayed until calls stop for ms.
  function debounce(f, ms) {
    let t = 0;
    return () => { clearTimeout(t); t = setTimeout(f, ms); };
  }

  // Formatting.
  const badge = s => h('span', { class: 'badge', 'data-status': s }, s);
  const shortID = id => id ? '…' + id.slice(-8) : '';
  function when(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    const time = d.toLocaleTimeString([], { hour12: false });
    return d.toDateString() === new Date().toDateString() ? time : d.toLocaleDateString() + ' ' + time;
  }
  function seconds(s) {
    if (s == null || isNaN(s)) return '—';
    if (s < 1) return Math.round(s * 1000) + ' ms';
    if (s < 60) return s.toFixed(s < 10 ? 2 : 1) + ' s';
    const m = Math.floor(s / 60);
    return m < 60 ? m + ' m ' + Math.round(s % 60) + ' s' : Math.floor(m / 60) + ' h ' + (m % 60) + ' m';
  }
  const span = (a, b) => a && b ? seconds((new Date(b) - new Date(a)) / 1000) : (a ? 'running' : '—');
  function pretty(raw) {
    if (raw == null) return '';
    try { return JSON.stringify(typeof raw === 'string' ? JSON.parse(raw) : raw, null, 2); } catch { return String(raw); }
  }
  const jobLink = (id, label) => h('a', { href: '#/jobs/' + id, class: 'mono' }, label || shortID(id));

  // jobRow is one job of a table; Enter or a click opens it.
  function jobRow(j, cols, inWorkflow) {
    const cells = {
      status: () => h('td', { class: 'status' }, badge(j.status)),
      name: () => h('td', {}, j.name || j.function, j.workflow_id && !inWorkflow &&
        h('a', { class: 'tag', href: '#/workflows/' + j.workflow_id, title: 'Open its workflow' }, 'workflow')),
      function: () => h('td', { class: 'mono' }, j.function),
      attempts: () => h('td', { class: 'num' }, j.attempts + ' / ' + j.max_attempts),
      created: () => h('td', { class: 'num hide-narrow' }, when(j.created_at)),
      duration: () => h('td', { class: 'num duration' }, j.started_at ? span(j.started_at, j.completed_at) : '—'),
      id: () => h('td', { class: 'mono hide-narrow', title: j.id }, shortID(j.id)),
    };
    return h('tr', { class: 'link', tabindex: 0, 'data-id': j.id, 'data-status': j.status, 'data-href': '#/jobs/' + j.id },
      cols.map(c => cells[c]()));
  }
  const HEADS = { status: 'Status', name: 'Name', function: 'Function', attempts: 'Attempts', created: 'Created', duration: 'Duration', id: 'ID' };
  function jobTable(jobs, cols, id, inWorkflow) {
    return h('div', { class: 'card' }, h('table', { id },
      h('thead', {}, h('tr', {}, cols.map(c => h('th', {
        scope: 'col',
        class: ['attempts', 'created', 'duration'].includes(c) ? 'num' + (c === 'created' ? ' hide-narrow' : '') : (c === 'id' ? 'hide-narrow' : null),
      }, HEADS[c])))),
      h('tbody', {}, jobs.map(j => jobRow(j, cols, inWorkflow)))));
  }

  // setRowStatus shows an event's new state on a job's row, if visible.
  function setRowStatus(e) {
    const row = main.querySelector(`tr[data-id="${CSS.escape(e.job_id || '')}"]`);
    if (!row || !e.status) return;
    row.dataset.status = e.status;
    row.querySelector('.status').replaceChildren(badge(e.status));
    if (e.elapsed) row.querySelector('.duration').textContent = seconds(e.elapsed);
    row.classList.remove('flash');
    void row.offsetWidth; // restart the animation
    row.classList.add('flash');
  }

  // replaceKeepingFocus swaps old for new and puts the focus back on the
  // element with the same data-id, so live updates do not lose the user's
  // place.
  function replaceKeepingFocus(old, fresh) {
    const id = document.activeElement && old.contains(document.activeElement) && document.activeElement.dataset.id;
    old.replaceWith(fresh);
    if (id) fresh.querySelector(`[data-id="${CSS.escape(id)}"]`)?.focus();
    return fresh;
  }

  function notice(err) {
    return h('div', { class: 'notice', role: 'alert' }, String(err.message || err));
  }

  // ---- #/ : counts and jobs --------------------------------------------
  // list is the job table's state; it outlives the view so that going
  // back restores the page.
  let list = { status: '', cursors: [''], page: 0 };

  function listView(status) {
    if (status !== list.status) list = { status, cursors: [''], page: 0 };
    let counts, table, pager;
    const go = s => { location.hash = s ? '#/?status=' + s : '#/'; };

    function renderCounts(st) {
      const card = (s, n, label) => h('button', {
        class: 'count', type: 'button', 'data-status': s || null, 'data-count': s || 'total',
        'aria-pressed': String(list.status === s), onclick: () => go(s),
      }, h('span', { class: 'k' }, h('span', { class: 'swatch' }), label || s), h('span', { class: 'n' }, n));
      const el = h('section', { class: 'counts', 'aria-label': 'Jobs by state' },
        card('', st.total, 'all'), STATES.map(s => card(s, st[s] || 0)));
      counts = counts ? replaceKeepingFocus(counts, el) : el;
    }
    function renderPage(page) {
      const el = page.jobs.length
        ? jobTable(page.jobs, ['status', 'name', 'function', 'attempts', 'created', 'duration', 'id'], 'jobs')
        : h('div', { class: 'card', id: 'jobs' }, h('p', { class: 'empty' },
          list.status ? `No ${list.status} jobs.` : 'No jobs yet. Submit one with gigq submit, or POST /api/jobs.'));
      table = table ? replaceKeepingFocus(table, el) : el;
      if (page.next_cursor) list.cursors[list.page + 1] = page.next_cursor;
      else list.cursors.length = list.page + 1;
      const from = list.page * PAGE;
      const el2 = h('div', { class: 'pager' },
        h('span', { class: 'muted' }, page.jobs.length ? `${from + 1}–${from + page.jobs.length}` : ''),
        h('button', { class: 'secondary', id: 'prev', type: 'button', disabled: list.page === 0, onclick: () => turn(-1) }, '← Prev'),
        h('button', { class: 'secondary', id: 'next', type: 'button', disabled: !page.next_cursor, onclick: () => turn(1) }, 'Next →'));
      pager = pager ? replaceKeepingFocus(pager, el2) : el2;
    }
    const fetchPage = () => api(`/api/jobs?limit=${PAGE}&status=${list.status}&cursor=${list.cursors[list.page] || ''}`);
    async function turn(d) {
      if (list.page + d < 0 || list.page + d >= list.cursors.length) return;
      list.page += d;
      renderPage(await fetchPage());
      table.querySelector('tbody tr')?.focus();
    }
    const refreshCounts = debounce(() => api('/api/stats').then(renderCounts, () => {}), 250);
    const refreshPage = debounce(() => fetchPage().then(renderPage, () => {}), 250);

    return {
      async load() {
        const [st, page] = await Promise.all([api('/api/stats'), fetchPage()]);
        counts = table = pager = null;
        renderCounts(st);
        renderPage(page);
        const filter = h('select', { id: 'filter', onchange: e => go(e.target.value) },
          h('option', { value: '' }, 'All states'),
          STATES.map(s => h('option', { value: s, selected: s === list.status }, s)));
        main.replaceChildren(
          h('div', { class: 'head' }, h('h1', {}, 'Jobs')),
          counts,
          h('div', { class: 'toolbar' }, h('label', { for: 'filter' }, 'State ', h('kbd', {}, '/')), filter),
          table, pager);
      },
      onEvent(e) {
        if (e.kind === 'progress') return; // the job page shows it; counts do not change
        refreshCounts();
        setRowStatus(e);
        const visible = e.job_id && main.querySelector(`tr[data-id="${CSS.escape(e.job_id)}"]`);
        if (e.job_id && !visible && list.page === 0 && (!list.status || e.status === list.status)) refreshPage();
      },
      refresh() { refreshCounts(); refreshPage(); },
      turn,
    };
  }

  // ---- #/jobs/{id} -----------------------------------------------------
  function jobView(id) {
    let error = null;
    const reload = debounce(() => view === self && self.load().catch(() => {}), 200);
    async function act(what) {
      try { await api(`/api/jobs/${id}/${what}`, 'POST'); error = null; } catch (err) { error = err; }
      await self.load();
    }
    const self = {
      async load() {
        const j = await api('/api/jobs/' + id);
        const field = (k, v) => h('div', {}, h('dt', {}, k), h('dd', {}, v));
        const code = (title, raw, cls) => h('section', {}, h('h2', {}, title), h('div', { class: 'card' }, h('pre', { class: cls || null }, raw)));
        const execs = j.executions || [];
        const actions = h('div', { class: 'actions' },
          ['pending', 'running'].includes(j.status) && h('button', { class: 'secondary', type: 'button', onclick: () => act('cancel') }, 'Cancel'),
          ['failed', 'timeout', 'cancelled'].includes(j.status) && h('button', { type: 'button', onclick: () => act('requeue') }, 'Requeue'));
        main.replaceChildren(
          h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, 'Jobs'),
            j.workflow_id && [' / ', h('a', { href: '#/workflows/' + j.workflow_id }, 'workflow')], ' / ', j.name),
          error && notice(error),
          h('div', { class: 'head' }, h('h1', {}, j.name || j.function), badge(j.status), actions),
          h('dl', { class: 'meta card' },
            field('ID', h('span', { class: 'mono' }, j.id)),
            field('Function', h('span', { class: 'mono' }, j.function)),
            field('Attempts', `${j.attempts} of ${j.max_attempts}`),
            j.progress && field('Progress', h('span', { id: 'progress' },
              h('progress', { max: '1', value: String(j.progress.fraction) }), ' ',
              Math.round(j.progress.fraction * 100) + '%', j.progress.message ? ' — ' + j.progress.message : '')),
            j.queue && j.queue !== 'default' && field('Queue', h('span', { class: 'mono' }, j.queue)),
            j.run_at && field('Run at', when(j.run_at)),
            j.unique_key && field('Unique key', h('span', { class: 'mono' }, j.unique_key)),
            field('Priority', j.priority),
            field('Created', when(j.created_at)),
            field('Started', when(j.started_at)),
            field('Completed', when(j.completed_at)),
            field('Duration', j.started_at ? span(j.started_at, j.completed_at) : '—'),
            field('Timeout', seconds(j.timeout)),
            field('Retry delay', seconds(j.retry_delay)),
            field('Worker', j.worker_id ? h('span', { class: 'mono' }, j.worker_id) : '—'),
            field('Workflow', j.workflow_id ? h('a', { href: '#/workflows/' + j.workflow_id, class: 'mono', id: 'workflow-link' }, shortID(j.workflow_id)) : '—'),
            field('Depends on', j.dependencies && j.dependencies.length ? j.dependencies.flatMap((d, i) => [i ? ', ' : '', jobLink(d)]) : '—'),
            j.description && field('Description', j.description)),
          h('div', { class: 'panes' },
            code('Params', pretty(j.params)),
            j.result != null && code('Result', pretty(j.result)),
            j.error != null && code('Error', j.error, 'error')),
          h('h2', {}, `Executions (${execs.length})`),
          execs.length ? h('div', { class: 'card' }, h('table', { id: 'executions' },
            h('thead', {}, h('tr', {}, ['#', 'Status', 'Worker', 'Started', 'Completed', 'Duration', 'Outcome'].map(t =>
              h('th', { scope: 'col', class: ['Started', 'Completed', 'Duration'].includes(t) ? 'num' : null }, t)))),
            h('tbody', {}, execs.map((x, i) => h('tr', { 'data-status': x.status },
              h('td', { class: 'num' }, i + 1), h('td', {}, badge(x.status)),
              h('td', { class: 'mono' }, x.worker_id), h('td', { class: 'num' }, when(x.started_at)),
              h('td', { class: 'num' }, when(x.completed_at)), h('td', { class: 'num' }, span(x.started_at, x.completed_at)),
              h('td', {}, x.error != null ? h('span', { class: 'error' }, x.error)
                : h('span', { class: 'mono muted' }, x.result != null ? pretty(x.result).slice(0, 120) : '')))))))
            : h('p', { class: 'muted' }, 'Not run yet.'));
      },
      onEvent(e) { if (e.job_id === id) reload(); },
      refresh: reload,
    };
    return self;
  }

  // ---- #/workflows/{id} ------------------------------------------------
  // layout places a workflow's jobs in columns by their longest path from
  // a root, ordered in each column by the mean row of their parents.
  function layout(jobs) {
    const nodes = new Map(jobs.map((j, i) => [j.id, { job: j, i, layer: -1, row: 0 }]));
    for (const n of nodes.values()) n.deps = (n.job.dependencies || []).filter(d => nodes.has(d)).map(d => nodes.get(d));
    const depth = n => {
      if (n.layer < 0) { n.layer = 0; n.layer = n.deps.length ? 1 + Math.max(...n.deps.map(depth)) : 0; }
      return n.layer;
    };
    const cols = [];
    for (const n of nodes.values()) (cols[depth(n)] ||= []).push(n);
    cols.forEach(col => {
      const key = n => n.deps.length ? n.deps.reduce((s, d) => s + d.row, 0) / n.deps.length : n.i;
      col.sort((a, b) => key(a) - key(b) || a.i - b.i).forEach((n, r) => { n.row = r; });
    });
    return { nodes: [...nodes.values()], cols };
  }

  function dag(jobs) {
    const W = 176, H = 46, GX = 72, GY = 18, P = 16;
    const { nodes, cols } = layout(jobs);
    const rows = Math.max(1, ...cols.map(c => c.length));
    const pos = n => ({ x: P + n.layer * (W + GX), y: P + n.row * (H + GY) + (rows - cols[n.layer].length) * (H + GY) / 2 });
    const width = P * 2 + cols.length * (W + GX) - GX, height = P * 2 + rows * (H + GY) - GY;
    const edges = nodes.flatMap(n => n.deps.map(d => {
      const a = pos(d), b = pos(n), x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x - 2, y2 = b.y + H / 2, c = GX / 2;
      return h('svg:path', { class: 'edge', 'data-from': d.job.id, 'data-to': n.job.id, 'marker-end': 'url(#arrow)',
        d: `M${x1},${y1} C${x1 + c},${y1} ${x2 - c},${y2} ${x2},${y2}` });
    }));
    const clip = s => s.length > 22 ? s.slice(0, 21) + '…' : s;
    const boxes = nodes.map(n => {
      const j = n.job, p = pos(n);
      return h('svg:g', { class: 'node', transform: `translate(${p.x},${p.y})`, tabindex: 0, role: 'link',
        'data-id': j.id, 'data-status': j.status, 'data-href': '#/jobs/' + j.id, 'aria-label': `${j.name}: ${j.status}` },
      h('svg:title', {}, `${j.name} (${j.function}): ${j.status}`),
      h('svg:rect', { width: W, height: H, rx: 8 }),
      h('svg:circle', { class: 'bar', cx: 15, cy: H / 2, r: 5 }),
      h('svg:text', { x: 28, y: 19 }, clip(j.name || j.function)),
      h('svg:text', { x: 28, y: 35, class: 'sub' }, clip(j.function + ' · ' + j.status)));
    });
    return h('svg:svg', { id: 'dag', width, height, viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': 'Workflow graph' },
      h('svg:defs', {}, h('svg:marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' },
        h('svg:path', { class: 'arrow', d: 'M0,0 L10,5 L0,10 z' }))),
      h('svg:g', {}, edges), h('svg:g', {}, boxes));
  }

  function workflowView(id) {
    let ids = new Set();
    const reload = debounce(() => view === self && self.load().catch(() => {}), 200);
    const self = {
      async load() {
        const wf = await api('/api/workflows/' + id);
        ids = new Set(wf.jobs.map(j => j.id));
        const c = wf.counts || {};
        const content = h('div', { id: 'workflow-content' },
          h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, 'Jobs'), ' / workflow'),
          h('div', { class: 'head' }, h('h1', {}, wf.name), badge(wf.status),
            h('span', { class: 'muted' }, `${c.completed || 0} of ${c.total || wf.jobs.length} completed · created ${when(wf.created_at)}`)),
          h('section', { class: 'card', 'aria-label': 'Graph' },
            h('div', { class: 'dag' }, dag(wf.jobs)),
            h('div', { class: 'legend' }, STATES.map(s => h('span', { 'data-status': s }, h('span', { class: 'swatch' }), s)))),
          h('h2', {}, `Jobs (${wf.jobs.length})`),
          jobTable(wf.jobs, ['status', 'name', 'function', 'attempts', 'created', 'duration', 'id'], 'workflow-jobs', true));
        const old = document.getElementById('workflow-content');
        if (old) replaceKeepingFocus(old, content); else main.replaceChildren(content);
      },
      onEvent(e) {
        if (e.workflow_id !== id && !ids.has(e.job_id)) return;
        const node = e.job_id && main.querySelector(`g.node[data-id="${CSS.escape(e.job_id)}"]`);
        if (node && e.status) node.dataset.status = e.status;
        setRowStatus(e);
        reload();
      },
      refresh: reload,
    };
    return self;
  }

  // ---- Routing, events and keys -----------------------------------------
  let view = null;
  let navDepth = 0; // in-app navigations, for Esc
  let back = false;
  let focusFilter = false;
  let opened = ''; // the last job or workflow opened from a list, focused again on return

  async function route() {
    const hash = location.hash || '#/';
    let m;
    if ((m = hash.match(/^#\/jobs\/([\w-]+)$/))) view = jobView(m[1]);
    else if ((m = hash.match(/^#\/workflows\/([\w-]+)$/))) view = workflowView(m[1]);
    else view = listView(new URLSearchParams(hash.split('?')[1] || '').get('status') || '');
    const v = view;
    // A control that changed the route (the filter, a count) keeps the focus.
    const a = document.activeElement;
    const keep = a && a !== main && main.contains(a) && (a.id ? '#' + a.id : a.dataset.count ? `[data-count="${a.dataset.count}"]` : '');
    try {
      await v.load();
    } catch (err) {
      if (v === view) main.replaceChildren(h('div', { class: 'crumbs' }, h('a', { href: '#/' }, 'Jobs')), notice(err));
      return;
    }
    if (v !== view) return;
    const target = (focusFilter && document.getElementById('filter')) || (keep && main.querySelector(keep)) ||
      (opened && main.querySelector(`[data-id="${CSS.escape(opened)}"]`));
    if (target) target.focus(); else main.focus({ preventScroll: true });
    focusFilter = false;
  }

  window.addEventListener('hashchange', () => {
    navDepth = back ? Math.max(0, navDepth - 1) : navDepth + 1;
    back = false;
    route();
  });

  function goBack() {
    if (navDepth > 0) { back = true; history.back(); } else if (location.hash && location.hash !== '#/') location.hash = '#/';
  }

  function open(el) {
    opened = el.dataset.id || '';
    location.hash = el.dataset.href;
  }

  document.addEventListener('click', e => {
    const el = e.target.closest('[data-href]');
    if (el && !e.target.closest('a, button')) open(el);
  });

  const help = document.getElementById('help');
  document.getElementById('help-button').addEventListener('click', () => help.showModal());

  document.addEventListener('keydown', e => {
    if (e.ctrlKey || e.metaKey || e.altKey || help.open) return;
    const t = e.target;
    const typing = t.matches('input, select, textarea');
    if (e.key === 'Escape') {
      e.preventDefault();
      if (typing) t.blur(); else goBack();
    } else if (typing) {
      // keys belong to the field
    } else if (e.key === '/') {
      e.preventDefault();
      const f = document.getElementById('filter');
      if (f) f.focus(); else { focusFilter = true; location.hash = '#/'; }
    } else if (e.key === 'Enter' && t.dataset && t.dataset.href) {
      e.preventDefault();
      open(t);
    } else if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && t.matches('tr[data-href]')) {
      e.preventDefault();
      (e.key === 'ArrowDown' ? t.nextElementSibling : t.previousElementSibling)?.focus();
    } else if ((e.key === '[' || e.key === ']') && view && view.turn) {
      view.turn(e.key === ']' ? 1 : -1);
    } else if (e.key === '?') {
      help.showModal();
    }
  });

  // connect opens the event stream; each event updates the view in place.
  const live = document.getElementById('live');
  function status(cls, text) {
    live.className = 'live ' + cls;
    live.querySelector('.label').textContent = text;
  }
  function connect() {
    const es = new EventSource('/api/events');
    let reopened = false;
    es.onopen = () => {
      status('on', 'live');
      if (reopened && view) view.refresh(); // events may have been missed
      reopened = true;
    };
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) {
        status('off', 'disconnected');
        setTimeout(() => api('/api/stats').then(connect, connect), 5000);
      } else {
        status('off', 'reconnecting');
      }
    };
    const onEvent = m => {
      let e;
      try { e = JSON.parse(m.data); } catch { return; }
      if (view) view.onEvent(e);
    };
    KINDS.forEach(k => es.addEventListener(k, onEvent));
    es.addEventListener('dropped', () => view && view.refresh());
  }

  route();
  connect();
})();
