// Renders Slack Block Kit and mrkdwn into DOM nodes, in the browser, from the very
// payloads Shipgate sent to the Slack Web API. Text only ever becomes text nodes
// (never HTML), so nothing a person typed can inject markup.
(function () {
  'use strict';

  const EMOJI = {
    white_check_mark: '✅', x: '❌', red_circle: '🔴', large_green_circle: '🟢', green_circle: '🟢', large_yellow_circle: '🟡',
    hourglass_flowing_sand: '⏳', hourglass: '⌛', rocket: '🚀', warning: '⚠️', rotating_light: '🚨', no_entry: '⛔', no_entry_sign: '🚫',
    leftwards_arrow_with_hook: '↩️', arrows_counterclockwise: '🔄', lock: '🔒', calendar: '📅', spiral_calendar_pad: '🗓️', clock3: '🕒',
    heavy_check_mark: '✔️', heavy_minus_sign: '➖', fast_forward: '⏩', octagonal_sign: '🛑', stopwatch: '⏱️', bust_in_silhouette: '👤',
    wastebasket: '🗑️', package: '📦', link: '🔗', fire: '🔥', pause_button: '⏸️', information_source: 'ℹ️', grey_question: '❔', zzz: '💤', skull: '💀',
    thumbsup: '👍', thumbsdown: '👎', eyes: '👀', tada: '🎉', bell: '🔔', repeat: '🔁', construction: '🚧', mag: '🔍',
  };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function unescapeSlack(text) {
    return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  }

  function withEmoji(text) {
    return text.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] || whole);
  }

  function formatDate(seconds, format, fallback) {
    const date = new Date(Number(seconds) * 1000);
    if (Number.isNaN(date.getTime())) return fallback || '';
    const day = date.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
    const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
    if (/\{time\}/.test(format) && !/\{date/.test(format)) return time;
    if (/\{date/.test(format) && !/\{time/.test(format)) return day;
    return `${day} ${time}`;
  }

  /** One `<…>` token of mrkdwn: a link, a mention, a channel, a date, a special mention. */
  function token(inner, ctx) {
    if (inner.startsWith('@')) {
      const id = inner.slice(1).split('|')[0];
      return el('span', 'mention', `@${ctx.nameOf(id)}`);
    }
    if (inner.startsWith('#')) {
      const [id, label] = inner.slice(1).split('|');
      return el('span', 'mention', `#${label || ctx.channelName(id)}`);
    }
    if (inner.startsWith('!date^')) {
      const [spec, fallback] = inner.split('|');
      const [, seconds, format] = spec.split('^');
      const span = el('span', 'date', formatDate(seconds, format || '', fallback));
      span.title = new Date(Number(seconds) * 1000).toISOString();
      return span;
    }
    if (inner.startsWith('!')) return el('span', 'mention', `@${inner.slice(1).split('|')[0].replace(/^subteam\^/, '')}`);
    const bar = inner.indexOf('|');
    const href = unescapeSlack(bar >= 0 ? inner.slice(0, bar) : inner);
    const label = unescapeSlack(bar >= 0 ? inner.slice(bar + 1) : inner);
    if (!/^https?:\/\//i.test(href)) return document.createTextNode(label);
    const a = el('a', null, label);
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    return a;
  }

  const FORMATS = [
    { open: '```', close: '```', tag: 'pre' },
    { open: '`', close: '`', tag: 'code' },
    { open: '*', close: '*', tag: 'strong' },
    { open: '_', close: '_', tag: 'em' },
    { open: '~', close: '~', tag: 's' },
  ];

  /** Text with placeholders for tokens, into nodes: bold, italic, strike, code, line breaks. */
  function inline(text, tokens, parent) {
    let i = 0;
    let plain = '';
    const flush = () => {
      if (!plain) return;
      const parts = plain.split(/(\u0001\d+\u0001|\n)/);
      for (const part of parts) {
        if (!part) continue;
        if (part === '\n') parent.appendChild(el('br'));
        else if (/^\u0001\d+\u0001$/.test(part)) parent.appendChild(tokens[Number(part.slice(1, -1))]);
        else parent.appendChild(document.createTextNode(withEmoji(unescapeSlack(part))));
      }
      plain = '';
    };
    while (i < text.length) {
      const format = FORMATS.find((f) => text.startsWith(f.open, i) && (i === 0 || /[\s(\u0001>:·-]/.test(text[i - 1]) || f.tag === 'code' || f.tag === 'pre'));
      if (format) {
        const end = text.indexOf(format.close, i + format.open.length);
        const body = end > i + format.open.length ? text.slice(i + format.open.length, end) : '';
        if (body && (format.tag === 'pre' || !body.includes('\n'))) {
          flush();
          const node = el(format.tag);
          if (format.tag === 'code' || format.tag === 'pre') node.textContent = unescapeSlack(body.replace(/\u0001(\d+)\u0001/g, (_, n) => tokens[Number(n)].textContent));
          else inline(body, tokens, node);
          parent.appendChild(node);
          i = end + format.close.length;
          continue;
        }
      }
      plain += text[i];
      i++;
    }
    flush();
    return parent;
  }

  function mrkdwn(text, ctx, className) {
    const tokens = [];
    const marked = String(text || '').replace(/<([^<>]+)>/g, (_, inner) => `\u0001${tokens.push(token(inner, ctx)) - 1}\u0001`);
    return inline(marked, tokens, el('div', className || 'mrkdwn'));
  }

  function textObject(object, ctx, className) {
    if (!object) return el('span');
    if (object.type === 'mrkdwn') return mrkdwn(object.text, ctx, className);
    const node = el('div', className || 'plain', withEmoji(object.text || ''));
    return node;
  }

  function plainOf(object) {
    return object ? String(object.text || '') : '';
  }

  function button(element, block, ctx) {
    const b = el('button', `bk-button${element.style ? ` bk-${element.style}` : ''}`, plainOf(element.text));
    b.type = 'button';
    if (element.url && /^https?:\/\//i.test(element.url)) {
      b.addEventListener('click', () => window.open(element.url, '_blank', 'noopener'));
      return b;
    }
    b.addEventListener('click', () => {
      const act = () => ctx.onButton(element, block);
      if (element.confirm) ctx.confirm(element.confirm, act);
      else act();
    });
    return b;
  }

  function inputElement(element, block) {
    if (!element) return el('span');
    if (element.type === 'static_select') {
      const select = el('select', 'bk-select');
      select.name = block.block_id;
      select.appendChild(el('option', null, plainOf(element.placeholder) || 'Choose…')).value = '';
      for (const option of element.options || []) {
        const o = el('option', null, plainOf(option.text));
        o.value = option.value;
        if (element.initial_option && element.initial_option.value === option.value) o.selected = true;
        select.appendChild(o);
      }
      return select;
    }
    const input = el(element.multiline ? 'textarea' : 'input', 'bk-input');
    input.name = block.block_id;
    input.placeholder = plainOf(element.placeholder);
    if (element.initial_value) input.value = element.initial_value;
    return input;
  }

  function block(b, ctx) {
    switch (b.type) {
      case 'section': {
        const node = el('div', 'bk-section');
        const body = el('div', 'bk-section-body');
        if (b.text) body.appendChild(textObject(b.text, ctx));
        if (b.fields && b.fields.length) {
          const fields = el('div', 'bk-fields');
          for (const field of b.fields) fields.appendChild(textObject(field, ctx, 'bk-field'));
          body.appendChild(fields);
        }
        node.appendChild(body);
        if (b.accessory && b.accessory.type === 'button') node.appendChild(button(b.accessory, b, ctx));
        return node;
      }
      case 'context': {
        const node = el('div', 'bk-context');
        for (const element of b.elements || []) {
          if (element.type === 'image') node.appendChild(el('span', 'bk-image-alt', element.alt_text || ''));
          else node.appendChild(textObject(element, ctx, 'bk-context-item'));
        }
        return node;
      }
      case 'actions': {
        const node = el('div', 'bk-actions');
        for (const element of b.elements || []) {
          if (element.type === 'button') node.appendChild(button(element, b, ctx));
          else node.appendChild(el('span', 'bk-unsupported', `[${element.type}]`));
        }
        return node;
      }
      case 'header':
        return el('div', 'bk-header', withEmoji(plainOf(b.text)));
      case 'divider':
        return el('hr', 'bk-divider');
      case 'input': {
        const node = el('label', 'bk-input-block');
        node.appendChild(el('div', 'bk-label', plainOf(b.label)));
        node.appendChild(inputElement(b.element, b));
        if (b.hint) node.appendChild(el('div', 'bk-hint', plainOf(b.hint)));
        return node;
      }
      case 'image':
        return el('div', 'bk-image-alt', `[image: ${b.alt_text || ''}]`);
      default:
        return el('div', 'bk-unsupported', `[${b.type} block]`);
    }
  }

  /** A message's blocks, or its text when it has none (as Slack does). */
  function render(blocks, fallbackText, ctx) {
    const node = el('div', 'bk');
    if (!blocks || blocks.length === 0) {
      node.appendChild(mrkdwn(fallbackText, ctx));
      return node;
    }
    for (const b of blocks) node.appendChild(block(b, ctx));
    return node;
  }

  window.BlockKit = { render, mrkdwn, el, plainOf };
})();
