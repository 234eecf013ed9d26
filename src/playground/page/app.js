// The playground page: a Slack channel look-alike. It shows what the Slack stand-in
// recorded (messages, ephemeral answers, App Home, modals) and sends what a person does
// to the playground server, which signs it as Slack would and posts it to Shipgate.
(function () {
  'use strict';
  const { render, el } = window.BlockKit;
  const ui = { user: localStorage.getItem('playground.user') || 'U0ADA', channel: 'C0DEPLOYS', view: 'channel', threads: new Set(), state: null };
  const $ = (id) => document.getElementById(id);

  async function api(path, body) {
    const response = await fetch(`/playground/api/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const answer = await response.json().catch(() => ({ ok: false, error: `The playground answered ${response.status}.` }));
    if (!answer.ok) toast(answer.error || 'That did not work.');
    return answer;
  }

  function toast(text) {
    const t = $('toast');
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => (t.hidden = true), 6000);
  }

  const person = (id) => (ui.state ? ui.state.people.find((p) => p.id === id) : null);
  const ctx = {
    nameOf: (id) => (person(id) ? person(id).name : id),
    channelName: (id) => {
      const c = ui.state && ui.state.channels.find((x) => x.id === id);
      return c ? c.name : id;
    },
    onButton: (element, block, message) => undefined,
    confirm: (spec, then) => confirmDialog(spec, then),
  };

  function confirmDialog(spec, then) {
    const overlay = $('dialog');
    overlay.replaceChildren();
    const box = el('div', 'dialog');
    box.setAttribute('role', 'dialog');
    box.appendChild(el('h3', null, BlockKit.plainOf(spec.title) || 'Are you sure?'));
    box.appendChild(spec.text && spec.text.type === 'mrkdwn' ? BlockKit.mrkdwn(spec.text.text, ctx) : el('p', null, BlockKit.plainOf(spec.text)));
    const buttons = el('div', 'dialog-buttons');
    const deny = el('button', 'bk-button', BlockKit.plainOf(spec.deny) || 'Cancel');
    const ok = el('button', `bk-button bk-${spec.style || 'primary'}`, BlockKit.plainOf(spec.confirm) || 'Yes');
    deny.type = ok.type = 'button';
    deny.addEventListener('click', () => (overlay.hidden = true));
    ok.addEventListener('click', () => {
      overlay.hidden = true;
      then();
    });
    buttons.append(deny, ok);
    box.appendChild(buttons);
    overlay.appendChild(box);
    overlay.hidden = false;
    ok.focus();
  }

  function messageNode(message, replies) {
    const node = el('div', 'message');
    node.dataset.ts = message.ts;
    if (/\bsg-\d+\b/.test(JSON.stringify(message.blocks))) node.dataset.promotion = 'true';
    const head = el('div', 'message-head');
    head.append(el('span', 'avatar', '⛵'), el('b', null, 'Shipgate'), el('span', 'app-badge', 'APP'), el('span', 'time', tsTime(message.ts)));
    if (message.edited) head.appendChild(el('span', 'edited', '(edited)'));
    node.appendChild(head);
    const messageCtx = Object.assign({}, ctx, { onButton: (element) => click(message, element) });
    node.appendChild(render(message.blocks, message.text, messageCtx));
    if (replies && replies.length) {
      const open = ui.threads.has(message.ts);
      const toggle = el('button', 'thread-toggle', `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}${open ? ' ▾' : ' ▸'}`);
      toggle.type = 'button';
      toggle.addEventListener('click', () => {
        if (open) ui.threads.delete(message.ts);
        else ui.threads.add(message.ts);
        draw();
      });
      node.appendChild(toggle);
      if (open) {
        const thread = el('div', 'thread');
        for (const reply of replies) thread.appendChild(messageNode(reply, null));
        node.appendChild(thread);
      }
    }
    return node;
  }

  function tsTime(ts) {
    return new Date(Number(ts) * 1000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  }

  async function click(message, element) {
    await api('click', { user: ui.user, channel: message.channel, ts: message.ts, actionId: element.action_id, value: element.value });
  }

  function drawChannel(state) {
    const channel = state.channels.find((c) => c.id === ui.channel);
    $('title').textContent = `# ${channel.name}`;
    $('subtitle').textContent = ui.channel === 'C0PROD' ? 'production promotions and alerts' : 'development and staging promotions';
    const list = $('messages');
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.replaceChildren();
    const inChannel = state.messages.filter((m) => m.channel === ui.channel);
    const top = inChannel.filter((m) => !m.thread_ts);
    if (top.length === 0) list.appendChild(el('p', 'empty', 'Nothing here yet. Type /promote help below, or run a scenario on the right.'));
    for (const message of top) list.appendChild(messageNode(message, inChannel.filter((m) => m.thread_ts === message.ts)));
    for (const answer of state.ephemerals.filter((e) => e.channel === ui.channel).slice(-4)) {
      const node = el('div', 'message ephemeral');
      node.appendChild(el('div', 'only-you', 'Only visible to you'));
      const head = el('div', 'message-head');
      head.append(el('span', 'avatar', '⛵'), el('b', null, 'Shipgate'), el('span', 'app-badge', 'APP'));
      node.appendChild(head);
      node.appendChild(render(answer.blocks, answer.text, ctx));
      list.appendChild(node);
    }
    if (atBottom || draw.first) list.scrollTop = list.scrollHeight;
    draw.first = false;
  }

  function drawHome(state) {
    $('title').textContent = 'Shipgate';
    $('subtitle').textContent = `Home, as ${ctx.nameOf(ui.user)} sees it`;
    const list = $('messages');
    list.replaceChildren();
    if (!state.home) list.appendChild(el('p', 'empty', 'Opening Home…'));
    else list.appendChild(render(state.home.blocks, '', ctx));
  }

  function drawModal(state) {
    const overlay = $('dialog');
    if (!state.modal) {
      if (overlay.dataset.kind === 'modal') {
        overlay.hidden = true;
        overlay.dataset.kind = '';
      }
      return;
    }
    if (overlay.dataset.kind === 'modal' && !overlay.hidden) return;
    overlay.dataset.kind = 'modal';
    overlay.replaceChildren();
    const form = el('form', 'dialog');
    form.appendChild(el('h3', null, BlockKit.plainOf(state.modal.title)));
    form.appendChild(render(state.modal.blocks, '', ctx));
    const buttons = el('div', 'dialog-buttons');
    const cancel = el('button', 'bk-button', BlockKit.plainOf(state.modal.close) || 'Cancel');
    cancel.type = 'button';
    cancel.addEventListener('click', () => api('close-modal', { user: ui.user }));
    const submit = el('button', 'bk-button bk-primary', BlockKit.plainOf(state.modal.submit) || 'Submit');
    submit.type = 'submit';
    buttons.append(cancel, submit);
    form.appendChild(buttons);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const values = {};
      for (const field of form.querySelectorAll('input, select, textarea')) if (field.name) values[field.name] = field.value;
      const answer = await api('modal', { user: ui.user, values });
      if (answer.ok && Object.keys(answer.result.errors).length) toast(Object.values(answer.result.errors).join(' '));
    });
    overlay.appendChild(form);
    overlay.hidden = false;
  }

  function segmented(id, options, current, choose) {
    const node = $(id);
    node.replaceChildren();
    for (const option of options) {
      const b = el('button', option === current ? 'on' : '', option);
      b.type = 'button';
      b.setAttribute('aria-pressed', String(option === current));
      b.addEventListener('click', () => choose(option));
      node.appendChild(b);
    }
  }

  function drawPanel(state) {
    const scenarios = $('scenarios');
    scenarios.replaceChildren();
    const running = state.run && state.run.status === 'running';
    for (const s of state.scenarios) {
      const b = el('button', 'scenario');
      b.type = 'button';
      b.disabled = running;
      b.append(el('b', null, s.title), el('span', null, s.summary));
      b.addEventListener('click', () => api('scenario', { name: s.name }));
      scenarios.appendChild(b);
    }
    const run = $('run');
    run.replaceChildren();
    if (state.run) {
      run.appendChild(el('div', `run-title ${state.run.status}`, `${state.run.title}: ${state.run.status}`));
      const steps = el('ol', 'steps');
      for (const step of state.run.steps) {
        const li = el('li', `step ${step.status}`);
        li.append(el('b', null, step.title), el('span', null, step.detail));
        steps.appendChild(li);
      }
      run.appendChild(steps);
      if (state.run.problem) run.appendChild(el('p', 'problem', state.run.problem));
    }
    segmented('deploy-mode', ['succeed', 'fail', 'hang'], state.deploy.mode, (mode) => api('deploy-mode', { mode }));
    segmented('evidence-coverage', ['passing', 'failing'], state.evidence.coverage, (evidence) => api('evidence', { gate: 'coverage', evidence }));
    segmented('evidence-junit', ['passing', 'failing'], state.evidence.junit, (evidence) => api('evidence', { gate: 'junit', evidence }));
    $('clock').textContent = `${new Date(state.clock.now).toISOString().slice(0, 16).replace('T', ' ')} UTC${state.clock.offsetMs ? ` (+${Math.round(state.clock.offsetMs / 60000)} min)` : ''}`;
    const deployments = $('deployments');
    deployments.replaceChildren();
    for (const d of state.deploy.deployments.slice().reverse()) deployments.appendChild(el('li', null, `${d.app} ${d.version} → ${d.environment}: ${d.answer}`));
    if (!state.deploy.deployments.length) deployments.appendChild(el('li', 'muted', 'none yet'));
    const rehearsals = $('rehearsals');
    rehearsals.replaceChildren();
    for (const r of state.rehearsals) rehearsals.appendChild(el('li', 'rehearsal', `${r.app} ${r.environment}: ${r.from} → ${r.to} in ${(r.rollbackMs / 1000).toFixed(1)} s, back to ${r.from} in ${(r.rollForwardMs / 1000).toFixed(1)} s`));
    if (!state.rehearsals.length) rehearsals.appendChild(el('li', 'muted', 'none yet: run the rehearsal scenario'));
  }

  function drawNav(state) {
    const picker = $('person');
    if (!picker.options.length) {
      for (const p of state.people) {
        const o = el('option', null, `${p.name}`);
        o.value = p.id;
        picker.appendChild(o);
      }
      picker.value = ui.user;
    }
    const me = person(ui.user);
    $('role').textContent = me ? me.role : '';
    const channels = $('channels');
    channels.replaceChildren();
    for (const c of state.channels) {
      const li = el('li');
      const b = el('button', `nav-item${ui.view === 'channel' && ui.channel === c.id ? ' active' : ''}`, `# ${c.name}`);
      b.type = 'button';
      b.addEventListener('click', () => {
        ui.view = 'channel';
        ui.channel = c.id;
        draw.first = true;
        refresh();
      });
      li.appendChild(b);
      channels.appendChild(li);
    }
    $('home-link').classList.toggle('active', ui.view === 'home');
    $('message-box').placeholder = ui.channel === 'C0PROD' ? '/promote web 1.0.0 to production' : '/promote web 1.0.0 to development';
    $('composer').hidden = ui.view !== 'channel';
  }

  function draw() {
    const state = ui.state;
    if (!state) return;
    drawNav(state);
    if (ui.view === 'home') drawHome(state);
    else drawChannel(state);
    drawPanel(state);
    drawModal(state);
  }
  draw.first = true;

  let inFlight = null;
  let again = false;
  async function refresh() {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      const response = await fetch(`/playground/api/state?user=${encodeURIComponent(ui.user)}`);
      ui.state = await response.json();
      draw();
    })().finally(() => {
      inFlight = null;
      if (again) {
        again = false;
        refresh();
      }
    });
    return inFlight;
  }

  $('person').addEventListener('change', (event) => {
    ui.user = event.target.value;
    localStorage.setItem('playground.user', ui.user);
    if (ui.view === 'home') api('home', { user: ui.user });
    refresh();
  });
  $('home-link').addEventListener('click', () => {
    ui.view = 'home';
    api('home', { user: ui.user });
    refresh();
  });
  $('composer').addEventListener('submit', async (event) => {
    event.preventDefault();
    const box = $('message-box');
    const text = box.value.trim();
    if (!text) return;
    const answer = await api('command', { user: ui.user, channel: ui.channel, text });
    if (answer.ok) box.value = '';
  });
  for (const b of document.querySelectorAll('[data-advance]')) b.addEventListener('click', () => api('clock', { advanceMs: Number(b.dataset.advance) }));

  const events = new EventSource('/playground/api/events');
  events.addEventListener('change', () => refresh());
  refresh();
})();
