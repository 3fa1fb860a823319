/* Comments widget, see docs/embedding.md. No cookies, nothing inline (CSP-safe), user text only as
   text; the server's sanitised HTML is re-checked against its allowlist in an inert document. */
(() => {
'use strict';
const ME = document.currentScript || [...document.scripts].find(s => /\/static\/embed\.js([?#]|$)/.test(s.src));
if (!ME) return;
const ORIGIN = new URL(ME.src).origin, API = ORIGIN + '/api/v1';
const CAP = 5; // deepest indentation; deeper replies are flat, with "replying to"
const WINDOW = 9e5; // edit window, 15 min

// Every string; plurals keyed by Intl.PluralRules category.
const L = {
  en: {
    n: {one: '{n} comment', other: '{n} comments'}, list: 'Comments', load: 'Loading comments…',
    sort: 'Sort by', oldest: 'Oldest', newest: 'Newest', top: 'Best',
    more: 'Load more comments', moreR: 'Show more replies',
    reply: 'Reply', edit: 'Edit', del: 'Delete', report: 'Report', cancel: 'Cancel', save: 'Save',
    post: 'Post comment', body: 'Your comment', replyTo: 'Reply to {name}', editL: 'Edit your comment',
    name: 'Name', email: 'Email (optional, never shown)', web: 'Website (optional)',
    me: 'Remember me on this device', hp: 'Leave this field empty', as: 'Signed in as {name}',
    nr: 'Notify me of replies by e-mail',
    md: 'Formatting help', mdh: '**bold**|*italic*|`code`|[link](https://example.com)|> quote|- list item',
    prev: 'Preview', like: 'Like', dislike: 'Dislike', anon: 'Anonymous', edited: 'edited',
    verified: 'verified', to: 'replying to @{name}', posted: 'Your comment was posted.',
    pend: 'Awaiting moderation: only you can see this for now.',
    gone: 'This comment was deleted.', mod: 'Removed by a moderator.', locked: 'Comments are closed.',
    sure: 'Delete this comment?', rep: 'Report this comment', why: 'Reason', spam: 'Spam',
    abuse: 'Abuse or harassment', off_topic: 'Off topic', other: 'Something else',
    note: 'Note (optional)', send: 'Send report', thanks: 'Thank you. A moderator will look at it.',
    dup: 'You have already reported this comment.', net: 'Could not reach the comment server. Try again.',
    rate: 'Too many attempts. Try again in {s} seconds.',
  },
  de: {
    n: {one: '{n} Kommentar', other: '{n} Kommentare'}, list: 'Kommentare', load: 'Kommentare werden geladen…',
    sort: 'Sortieren nach', oldest: 'Älteste', newest: 'Neueste', top: 'Beste',
    more: 'Weitere Kommentare laden', moreR: 'Weitere Antworten zeigen',
    reply: 'Antworten', edit: 'Bearbeiten', del: 'Löschen', report: 'Melden', cancel: 'Abbrechen', save: 'Speichern',
    post: 'Kommentar senden', body: 'Ihr Kommentar', replyTo: 'Antwort an {name}', editL: 'Kommentar bearbeiten',
    name: 'Name', email: 'E-Mail (freiwillig, wird nie angezeigt)', web: 'Website (freiwillig)',
    me: 'Auf diesem Gerät merken', hp: 'Dieses Feld bitte leer lassen', as: 'Angemeldet als {name}',
    nr: 'Bei Antworten per E-Mail benachrichtigen',
    md: 'Formatierungshilfe', mdh: '**fett**|*kursiv*|`Code`|[Link](https://example.com)|> Zitat|- Listenpunkt',
    prev: 'Vorschau', like: 'Gefällt mir', dislike: 'Gefällt mir nicht', anon: 'Anonym', edited: 'bearbeitet',
    verified: 'verifiziert', to: 'Antwort an @{name}', posted: 'Ihr Kommentar wurde veröffentlicht.',
    pend: 'Wartet auf Freigabe: Vorerst sehen nur Sie ihn.',
    gone: 'Dieser Kommentar wurde gelöscht.', mod: 'Von der Moderation entfernt.', locked: 'Die Kommentare sind geschlossen.',
    sure: 'Diesen Kommentar löschen?', rep: 'Kommentar melden', why: 'Grund', spam: 'Spam',
    abuse: 'Beleidigung oder Belästigung', off_topic: 'Am Thema vorbei', other: 'Etwas anderes',
    note: 'Anmerkung (freiwillig)', send: 'Meldung senden', thanks: 'Danke. Die Moderation sieht es sich an.',
    dup: 'Sie haben diesen Kommentar bereits gemeldet.', net: 'Kommentar-Server nicht erreichbar. Bitte erneut versuchen.',
    rate: 'Zu viele Versuche. Bitte in {s} Sekunden erneut versuchen.',
  },
  ar: {
    n: {zero: 'لا تعليقات', one: 'تعليق واحد', two: 'تعليقان', few: '{n} تعليقات', many: '{n} تعليقًا', other: '{n} تعليق'},
    list: 'التعليقات', load: 'جارٍ تحميل التعليقات…',
    sort: 'الترتيب حسب', oldest: 'الأقدم', newest: 'الأحدث', top: 'الأفضل',
    more: 'تحميل مزيد من التعليقات', moreR: 'عرض مزيد من الردود',
    reply: 'رد', edit: 'تعديل', del: 'حذف', report: 'إبلاغ', cancel: 'إلغاء', save: 'حفظ',
    post: 'نشر التعليق', body: 'تعليقك', replyTo: 'الرد على {name}', editL: 'تعديل تعليقك',
    name: 'الاسم', email: 'البريد الإلكتروني (اختياري، لا يُعرض)', web: 'الموقع (اختياري)',
    me: 'تذكرني على هذا الجهاز', hp: 'اترك هذا الحقل فارغًا', as: 'مسجّل الدخول باسم {name}',
    nr: 'أعلمني بالردود عبر البريد الإلكتروني',
    md: 'مساعدة التنسيق', mdh: '**عريض**|*مائل*|`رمز`|[رابط](https://example.com)|> اقتباس|- عنصر قائمة',
    prev: 'معاينة', like: 'إعجاب', dislike: 'عدم إعجاب', anon: 'مجهول', edited: 'معدَّل',
    verified: 'موثَّق', to: 'ردًا على @{name}', posted: 'نُشر تعليقك.',
    pend: 'بانتظار المراجعة: أنت وحدك ترى هذا التعليق الآن.',
    gone: 'حُذف هذا التعليق.', mod: 'أزاله أحد المشرفين.', locked: 'التعليقات مغلقة.',
    sure: 'هل تريد حذف هذا التعليق؟', rep: 'الإبلاغ عن هذا التعليق', why: 'السبب', spam: 'رسائل مزعجة',
    abuse: 'إساءة أو تحرش', off_topic: 'خارج الموضوع', other: 'سبب آخر',
    note: 'ملاحظة (اختياري)', send: 'إرسال البلاغ', thanks: 'شكرًا لك. سيراجعه أحد المشرفين.',
    dup: 'لقد أبلغت عن هذا التعليق من قبل.', net: 'تعذّر الوصول إلى خادم التعليقات. حاول مرة أخرى.',
    rate: 'محاولات كثيرة جدًا. حاول مرة أخرى بعد {s} ثانية.',
  },
};

// localStorage, never cookies: cmt-me (author), cmt-t (edit tokens), cmt-v (votes).
const store = (k, v) => {
  try {
    if (v === undefined) return JSON.parse(localStorage['cmt-' + k] || '{}');
    v ? localStorage['cmt-' + k] = JSON.stringify(v) : localStorage.removeItem('cmt-' + k);
  } catch { return {}; }
};

// Built, never parsed: a string child becomes a text node.
const h = (tag, a, ...kids) => {
  const e = document.createElement(tag);
  for (const k in a) {
    const v = a[k];
    if (v == null || v === false) continue;
    k.startsWith('on') ? e.addEventListener(k.slice(2), v) : e.setAttribute(k, v === true ? '' : v);
  }
  return put(e, kids);
};
const put = (e, kids) => (e.append(...kids.flat().filter(x => x != null && x !== false && x !== '')), e);

const link = (u, base) => { // http(s)/mailto URL or ''
  try { const x = new URL(u, base); return /^(https?|mailto):$/.test(x.protocol) ? x.href : ''; } catch { return ''; }
};

// comments/sanitize.py's allowlist, applied again to a copy from an inert document.
const TAGS = /^(P|BR|A|STRONG|EM|B|I|CODE|PRE|BLOCKQUOTE|UL|OL|LI|DEL|HR)$/;
const html = s => {
  const out = document.createDocumentFragment();
  const copy = (from, to) => {
    for (const n of from.childNodes) {
      if (n.nodeType == 3) to.append(n.data);
      else if (n.nodeType == 1 && !/^(SCRIPT|STYLE)$/.test(n.tagName)) {
        if (!TAGS.test(n.tagName)) { copy(n, to); continue; }
        const e = to.appendChild(document.createElement(n.tagName));
        if (n.tagName == 'A') {
          const u = link(n.getAttribute('href') || '', location.href);
          if (u) e.href = u;
          if (n.title) e.title = n.title;
          e.rel = 'nofollow ugc noopener noreferrer';
        }
        copy(n, e);
      }
    }
  };
  copy(new DOMParser().parseFromString(s || '', 'text/html').body, out);
  return out;
};

let uid = 0;
// Escape closes a reply or edit form; Ctrl/Cmd+Enter sends from a text area.
const keys = close => e => {
  if (e.key == 'Escape' && close) close(1);
  if (e.key == 'Enter' && (e.ctrlKey || e.metaKey)) e.currentTarget.requestSubmit();
};

class Widget {
  constructor(host, first) {
    const d = host.dataset, lang = (d.lang || host.closest('[lang]')?.lang || 'en').slice(0, 2).toLowerCase();
    Object.assign(this, {
      l: L[lang] ? lang : 'en', site: d.site, uri: d.uri || location.pathname, sso: d.sso, first,
      title: d.title || document.title, url: d.url || location.href.split('#')[0], sort: 'oldest', m: new Map(),
    });
    const theme = /^(dark|auto)$/.test(d.theme) ? d.theme : 'light', sr = host.attachShadow({mode: 'open'});
    const css = h('link', {rel: 'stylesheet', href: ORIGIN + '/static/embed.css'});
    this.root = h('section', {class: 'cmt-root cmt-' + theme, lang: this.l, dir: this.l == 'ar' ? 'rtl' : 'ltr', 'aria-labelledby': 'cmt-h', 'aria-busy': 'true', hidden: true});
    css.onload = css.onerror = () => { this.root.hidden = false; };
    this.head = h('h2', {class: 'cmt-title', id: 'cmt-h', tabindex: -1}, this.t('load'));
    this.status = h('p', {class: 'cmt-status', role: 'status'});
    this.top = h('div');
    this.list = h('ol', {class: 'cmt-list', 'aria-label': this.t('list')});
    this.linked = h('ol', {class: 'cmt-list cmt-linked'});
    this.moreB = h('button', {type: 'button', class: 'cmt-more', hidden: true, onclick: () => this.page(this.next)}, this.t('more'));
    const sel = h('select', {id: 'cmt-sort', onchange: () => { this.sort = sel.value; this.reload(); }},
      ['oldest', 'newest', 'top'].map(v => h('option', {value: v}, this.t(v))));
    this.root.append(this.head, this.status, this.top,
      h('p', {class: 'cmt-bar'}, h('label', {for: 'cmt-sort'}, this.t('sort')), sel),
      this.linked, this.list, this.moreB);
    sr.append(css, this.root);
    this.page().then(() => this.restore()).then(() => this.jump());
    addEventListener('hashchange', () => this.jump());
    setInterval(() => this.root.querySelectorAll('time').forEach(x => { x.textContent = this.ago(x.dateTime); }), 6e4);
  }

  t(k, v) {
    let s = L[this.l][k] ?? L.en[k];
    if (typeof s == 'object') s = s[new Intl.PluralRules(this.l).select(v.n)] ?? s.other;
    return v ? s.replace(/\{(\w+)\}/g, (_, x) => v[x]) : s;
  }

  ago(iso) {
    let s = Math.min(0, (Date.parse(iso) - Date.now()) / 1e3); // never "in 2 seconds" from clock skew
    const f = new Intl.RelativeTimeFormat(this.l, {numeric: 'auto'});
    for (const [u, n] of [['second', 60], ['minute', 60], ['hour', 24], ['day', 30], ['month', 12], ['year', 1 / 0]]) {
      if (Math.abs(s) < n) return f.format(Math.trunc(s), u);
      s /= n;
    }
  }

  say(msg, n) { (n ? n.msg : this.status).textContent = msg; }

  async api(path, o = {}) {
    const hd = {};
    let r;
    if (o.body) hd['Content-Type'] = 'application/json';
    if (o.token) hd.Authorization = 'Bearer ' + o.token;
    if (this.sso && !o.anon) hd['X-Comments-SSO'] = this.sso;
    if (o.method) this.dirty = 1; // after a write, revalidate cached reads
    try {
      r = await fetch(API + path, {method: o.method || 'GET', headers: hd, body: o.body && JSON.stringify(o.body),
        credentials: 'omit', cache: this.dirty ? 'no-cache' : 'default'});
    } catch { throw {message: this.t('net')}; }
    const d = r.status == 204 ? {} : await r.json().catch(() => ({}));
    if (r.ok) return d;
    const x = d.error || {message: this.t('net')};
    x.status = r.status;
    if (r.status == 429) x.message = this.t('rate', {s: r.headers.get('Retry-After') || 60});
    if (/^sso_/.test(x.code)) {
      this.say(x.message); // bad sign-in: say so, still show the thread
      if (!o.method) return this.api(path, {...o, anon: 1});
    }
    throw x;
  }

  async page(cursor) {
    const q = new URLSearchParams({site: this.site, uri: this.uri, sort: this.sort});
    if (cursor) q.set('cursor', cursor);
    this.moreB.disabled = true;
    try {
      const d = await this.api('/threads?' + q);
      if (!cursor) {
        this.count = d.thread.comment_count;
        this.locked = d.thread.locked;
        this.counted();
        if (!this.top.firstChild || this.locked) this.top.replaceChildren(this.locked ? h('p', {class: 'cmt-locked'}, this.t('locked')) : this.form());
      }
      this.tree(d.comments);
      this.next = d.next_cursor;
    } catch (e) {
      if (!cursor) this.head.textContent = this.t('list');
      this.say(e.message);
    }
    this.moreB.disabled = false;
    this.moreB.hidden = !this.next;
    this.root.setAttribute('aria-busy', false);
  }

  reload() {
    this.m.clear();
    this.list.replaceChildren();
    this.linked.replaceChildren();
    return this.page().then(() => this.restore());
  }

  counted() { this.head.textContent = this.t('n', {n: this.count}); }

  tree(cs) { for (const c of cs) { this.place(c); this.tree(c.replies || []); } }

  // Last element of p's subtree among flat siblings: its next reply goes after it.
  end(p) {
    let e = p.li, x;
    const under = c => { for (; c && c.parent_id; c = this.m.get(c.parent_id)?.c) if (c.parent_id == p.c.id) return 1; };
    while ((x = e.nextElementSibling) && under(x.cmt)) e = x;
    return e;
  }

  place(c, pend, where, fresh) {
    if (this.m.has(c.id)) return;
    const p = this.m.get(c.parent_id);
    if (c.parent_id && !p && !where) return;
    const n = this.node(c, p, pend);
    if (where) where.append(n.li);
    else if (!p) fresh && this.sort == 'newest' ? this.list.prepend(n.li) : this.list.append(n.li);
    else if (p.c.depth < CAP) {
      if (!p.rl) p.li.insertBefore(p.rl = h('ol', {class: 'cmt-list cmt-replies'}), p.mb || null);
      p.rl.append(n.li);
    } else this.end(p).after(n.li);
    return n;
  }

  node(c, p, pend) {
    const id = c.id, a = c.author || {}, aid = 'cmt-a' + id, tok = store('t')[id];
    const li = h('li', {class: 'cmt-item', id: 'comment-' + id, 'aria-level': c.depth + 1});
    const art = h('article', {class: 'cmt-c', 'aria-labelledby': aid, tabindex: -1});
    const n = {c, li, art, tok};
    li.cmt = c;
    this.m.set(id, n);
    if (c.deleted) art.append(h('p', {class: 'cmt-ph', id: aid}, this.t(c.status == 'deleted' ? 'gone' : 'mod')));
    else {
      const name = a.name || this.t('anon'), web = a.url && link(a.url), av = a.avatar && link(a.avatar, ORIGIN);
      put(art, [
        h('header', {class: 'cmt-meta'},
          av && h('img', {class: 'cmt-av', src: av, alt: '', width: 32, height: 32, loading: 'lazy'}),
          h('span', {class: 'cmt-au', id: aid, dir: 'auto'}, web ? h('a', {href: web, rel: 'nofollow ugc noopener noreferrer'}, name) : name),
          a.verified && h('span', {class: 'cmt-ok'}, h('span', {'aria-hidden': 'true'}, '✓ '), this.t('verified')),
          h('a', {class: 'cmt-pl', href: '#comment-' + id}, this.time(c.created_at)),
          c.edited_at && h('span', {class: 'cmt-ed'}, this.t('edited'))),
        c.depth > 2 && p && h('a', {class: 'cmt-to' + (c.depth > CAP ? '' : ' cmt-nar'), href: '#comment-' + p.c.id},
          this.t('to', {name: p.c.author?.name || this.t('anon')})),
        n.body = h('div', {class: 'cmt-body', dir: 'auto'}, html(c.html)),
        pend && h('p', {class: 'cmt-pend'}, this.t('pend')),
        n.acts = this.actions(n),
        n.msg = h('p', {class: 'cmt-msg', role: 'status'})]);
    }
    li.append(art);
    if (c.replies_cursor) this.moreR(n, c.replies_cursor);
    return n;
  }

  time(iso) { return h('time', {datetime: iso, title: new Date(iso).toLocaleString(this.l)}, this.ago(iso)); }

  actions(n) {
    const c = n.c, v = store('v')[c.id] || 0, b = (k, f) => h('button', {type: 'button', onclick: e => f.call(this, n, e.currentTarget)}, this.t(k));
    const vb = (k, val, count) => h('button', {type: 'button', class: 'cmt-v', 'aria-pressed': String(v == val), onclick: () => this.vote(n, val)},
      h('span', {'aria-hidden': 'true'}, val > 0 ? '▲' : '▼'), h('span', {class: 'cmt-vh'}, this.t(k)), h('span', {}, ' ' + count));
    const mine = n.tok && Date.now() - Date.parse(c.created_at) < WINDOW;
    return h('footer', {class: 'cmt-act'}, n.up = vb('like', 1, c.likes), n.dn = vb('dislike', -1, c.dislikes),
      !this.locked && b('reply', this.reply), mine && b('edit', this.edit), mine && b('del', this.del), b('report', this.report));
  }

  async vote(n, val) {
    const vs = store('v'), id = n.c.id, nv = vs[id] == val ? 0 : val;
    try {
      const r = await this.api(`/comments/${id}/votes`, {method: 'POST', body: {value: nv}});
      nv ? vs[id] = nv : delete vs[id];
      store('v', vs);
      n.up.lastChild.textContent = ' ' + r.likes;
      n.dn.lastChild.textContent = ' ' + r.dislikes;
      n.up.setAttribute('aria-pressed', nv > 0);
      n.dn.setAttribute('aria-pressed', nv < 0);
    } catch (e) { this.say(e.message, n); }
  }

  reply(n, btn) {
    if (!n.rf) n.art.after(n.rf = this.form(n, back => { n.rf.remove(); n.rf = null; back && btn.focus(); }));
    n.rf.querySelector('textarea').focus();
  }

  // Form for a new comment, or a reply to p (close(back) removes it).
  form(p, close) {
    const id = 'cmt-f' + ++uid, t0 = performance.now(), saved = store('me'), me = this.me || saved, F = {};
    let tm, seq = 0;
    const field = (k, label, tag, a) => h('p', {class: 'cmt-field'}, h('label', {for: id + k}, label),
      F[k] = h(tag || 'input', {id: id + k, name: k, 'aria-describedby': id + k + 'e', ...a}),
      F[k + 'E'] = h('span', {class: 'cmt-err', id: id + k + 'e'}));
    const help = h('ul', {class: 'cmt-help', id: id + 'h', hidden: true}, this.t('mdh').split('|').map(x => h('li', {}, h('code', {}, x))));
    const pv = h('div', {class: 'cmt-body'}), pvw = h('div', {class: 'cmt-prev', hidden: true}, h('p', {class: 'cmt-pvh'}, this.t('prev')), pv);
    const sub = h('button', {type: 'submit', class: 'cmt-pri'}, this.t('post'));
    let who, se;
    try { ({name: who, email: se} = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(this.sso.split('.')[0].replace(/-/g, '+').replace(/_/g, '/')), ch => ch.charCodeAt(0))))); } catch {}
    const nr = h('p', {class: 'cmt-check'}, F.nr = h('input', {type: 'checkbox', id: id + 'nr', disabled: !(se || me.e)}), h('label', {for: id + 'nr'}, this.t('nr')));
    const f = h('form', {class: 'cmt-form', novalidate: true, onsubmit: e => { e.preventDefault(); send(); }, onkeydown: keys(close), oninput: () => { if (F.author_email) F.nr.disabled = !v('author_email'); }},
      field('body', p ? this.t('replyTo', {name: p.c.author?.name || this.t('anon')}) : this.t('body'), 'textarea', {rows: 4, required: true}),
      h('p', {class: 'cmt-tools'}, h('button', {type: 'button', class: 'cmt-link', 'aria-expanded': 'false', 'aria-controls': id + 'h',
        onclick: e => { help.hidden = !help.hidden; e.currentTarget.setAttribute('aria-expanded', !help.hidden); }}, this.t('md'))),
      help, pvw,
      this.sso ? [h('p', {class: 'cmt-as'}, this.t('as', {name: who || '…'})), se && nr] : [h('div', {class: 'cmt-ids'},
        field('author_name', this.t('name'), 0, {autocomplete: 'name', value: me.n}),
        field('author_email', this.t('email'), 0, {type: 'email', autocomplete: 'email', value: me.e}),
        field('author_url', this.t('web'), 0, {type: 'url', autocomplete: 'url', value: me.w})), nr,
        h('p', {class: 'cmt-check'}, F.me = h('input', {type: 'checkbox', id: id + 'me', checked: !!(saved.n || saved.e)}), h('label', {for: id + 'me'}, this.t('me')))],
      h('div', {class: 'cmt-hp', 'aria-hidden': 'true'}, h('label', {for: id + 'hp'}, this.t('hp')), F.hp = h('input', {id: id + 'hp', name: 'hp', tabindex: -1, autocomplete: 'off'})),
      F.E = h('p', {class: 'cmt-err', role: 'alert'}),
      h('p', {class: 'cmt-btns'}, sub, close && h('button', {type: 'button', onclick: () => close(1)}, this.t('cancel'))));
    F.body.addEventListener('input', () => {
      clearTimeout(tm);
      tm = setTimeout(async () => {
        const s = F.body.value.trim(), k = ++seq;
        if (!s) return void (pvw.hidden = true);
        try {
          const r = await this.api('/preview', {method: 'POST', body: {body: s}});
          if (k == seq) { pv.replaceChildren(html(r.html)); pvw.hidden = false; }
        } catch {} // posting reports errors
      }, 400);
    });
    const v = k => F[k] ? F[k].value.trim() : '';
    const send = async () => {
      if (sub.disabled) return;
      f.querySelectorAll('.cmt-err').forEach(x => { x.textContent = ''; });
      f.querySelectorAll('[aria-invalid]').forEach(x => x.removeAttribute('aria-invalid'));
      sub.disabled = true;
      const body = {site: this.site, uri: this.uri, title: this.title.slice(0, 300), url: this.url, parent_id: p?.c.id,
        body: F.body.value, author_name: v('author_name'), author_email: v('author_email'), author_url: v('author_url'),
        hp: F.hp.value, seconds_on_page: Math.round((performance.now() - t0) / 1e3), notify_replies: F.nr.checked && !F.nr.disabled};
      try {
        const r = await this.api('/comments', {method: 'POST', body}), c = r.comment, pend = r.status == 'pending';
        const tk = store('t');
        tk[c.id] = {t: r.edit_token, c: c.created_at, b: body.body, p: pend ? 1 : 0, s: this.site, u: this.uri};
        store('t', tk);
        this.me = {n: body.author_name, e: body.author_email, w: body.author_url};
        if (F.me) store('me', F.me.checked && this.me);
        F.body.value = '';
        pvw.hidden = true;
        if (!pend) { this.count++; this.counted(); }
        close && close();
        const n = this.place(c, pend, 0, 1);
        this.say(this.t(pend ? 'pend' : 'posted'));
        if (n) { n.art.focus({preventScroll: true}); n.art.scrollIntoView({block: 'nearest'}); }
      } catch (x) {
        let first;
        for (const k in x.fields) if (F[k + 'E']) { F[k + 'E'].textContent = x.fields[k]; F[k].setAttribute('aria-invalid', 'true'); first ||= F[k]; }
        F.E.textContent = x.message;
        (first || F.body).focus();
      }
      sub.disabled = false;
    };
    return f;
  }

  edit(n, btn) {
    if (n.ef) return;
    const tk = store('t'), e = tk[n.c.id] || {}, id = 'cmt-e' + n.c.id, E = h('p', {class: 'cmt-err', role: 'alert'});
    const ta = h('textarea', {id, rows: 4, required: true});
    const done = () => { n.ef.remove(); n.ef = null; n.body.hidden = false; btn.focus(); };
    ta.value = e.b ?? n.body.textContent;
    n.ef = h('form', {class: 'cmt-form', novalidate: true, onkeydown: keys(done), onsubmit: async x => {
      x.preventDefault();
      try {
        const c = await this.api('/comments/' + n.c.id, {method: 'PATCH', body: {body: ta.value}, token: e.t});
        n.body.replaceChildren(html(c.html));
        if (!n.art.querySelector('.cmt-ed')) n.art.querySelector('.cmt-meta').append(h('span', {class: 'cmt-ed'}, this.t('edited')));
        e.b = ta.value;
        store('t', tk);
        done();
      } catch (r) { E.textContent = r.fields?.body || r.message; }
    }}, h('p', {class: 'cmt-field'}, h('label', {for: id}, this.t('editL')), ta), E,
    h('p', {class: 'cmt-btns'}, h('button', {type: 'submit', class: 'cmt-pri'}, this.t('save')), h('button', {type: 'button', onclick: done}, this.t('cancel'))));
    n.body.hidden = true;
    n.body.after(n.ef);
    ta.focus();
  }

  del(n, btn) {
    if (n.cf) return n.cf.querySelector('button').focus();
    const no = () => { n.cf.remove(); n.cf = null; btn.focus(); };
    n.acts.after(n.cf = h('p', {class: 'cmt-cf', onkeydown: e => e.key == 'Escape' && no()}, this.t('sure') + ' ',
      h('button', {type: 'button', class: 'cmt-pri', onclick: async () => {
        const tk = store('t'), id = n.c.id;
        try {
          await this.api('/comments/' + id, {method: 'DELETE', token: tk[id]?.t});
          delete tk[id];
          store('t', tk);
          if (!n.art.querySelector('.cmt-pend')) { this.count--; this.counted(); }
          this.say(this.t('gone'));
          if (n.rl?.firstChild || this.end(n) != n.li) {
            n.rf?.remove();
            n.art.replaceChildren(h('p', {class: 'cmt-ph', id: 'cmt-a' + id}, this.t('gone')));
            n.art.focus();
          } else { n.li.remove(); this.m.delete(id); this.head.focus(); }
        } catch (e) { no(); this.say(e.message, n); }
      }}, this.t('del')), ' ', h('button', {type: 'button', onclick: no}, this.t('cancel'))));
    n.cf.querySelector('button').focus();
  }

  report(n, btn) {
    let d = this.dlg;
    if (!d) {
      const f = h('form', {onsubmit: async e => {
        e.preventDefault();
        try {
          await this.api(`/comments/${d.n.c.id}/reports`, {method: 'POST', body: {reason: f.elements.reason.value, note: f.elements.note.value.trim()}});
          d.close();
          this.say(this.t('thanks'), d.n);
        } catch (x) { d.E.textContent = x.code == 'already_reported' ? this.t('dup') : x.message; }
      }},
      h('h3', {id: 'cmt-rh'}, this.t('rep')),
      h('fieldset', {}, h('legend', {}, this.t('why')), ['spam', 'abuse', 'off_topic', 'other'].map((r, i) => h('label', {class: 'cmt-r'}, h('input', {type: 'radio', name: 'reason', value: r, checked: !i}), ' ' + this.t(r)))),
      h('p', {class: 'cmt-field'}, h('label', {for: 'cmt-rn'}, this.t('note')), h('textarea', {id: 'cmt-rn', name: 'note', rows: 3, maxlength: 1000})),
      h('p', {class: 'cmt-btns'}, h('button', {type: 'submit', class: 'cmt-pri'}, this.t('send')), h('button', {type: 'button', onclick: () => d.close()}, this.t('cancel'))));
      d = this.dlg = h('dialog', {class: 'cmt-dlg', 'aria-labelledby': 'cmt-rh', onclose: () => d.btn.focus()}, f);
      d.f = f;
      f.insertBefore(d.E = h('p', {class: 'cmt-err', role: 'alert'}), f.lastChild);
      this.root.append(d);
    }
    Object.assign(d, {n, btn});
    d.f.reset();
    d.E.textContent = '';
    d.showModal();
  }

  moreR(n, cur) {
    n.cur = cur;
    const b = n.mb = h('button', {type: 'button', class: 'cmt-more', onclick: async () => {
      b.disabled = true;
      try {
        const d = await this.api(`/comments/${n.c.id}/replies?cursor=` + encodeURIComponent(n.cur));
        this.tree(d.comments);
        d.next_cursor ? n.cur = d.next_cursor : (b.remove(), n.mb = null);
      } catch (e) { this.say(e.message); }
      b.disabled = false;
    }}, this.t('moreR'));
    n.li.append(b);
  }

  // Held comments stay visible to their author, fetched with the edit token.
  async restore() {
    const tk = store('t'), now = Date.now();
    for (const id in tk) {
      const e = tk[id];
      if (now - Date.parse(e.c) > (e.p ? 2592e6 : WINDOW)) { delete tk[id]; continue; }
      if (!e.p || e.s != this.site || e.u != this.uri || this.m.has(+id)) continue;
      try {
        const c = await this.api('/comments/' + id, {token: e.t});
        c.status == 'pending' ? this.place(c, 1) : e.p = 0;
      } catch (x) { if (x.status == 404) delete tk[id]; }
    }
    store('t', tk);
  }

  // #comment-<id>: load pages until found (else fetch it alone), scroll to it, mark it.
  async jump() {
    const id = +(/^#comment-(\d+)$/.exec(location.hash) || [])[1];
    if (!id) return;
    if (this.first) {
      for (let i = 0; !this.m.has(id) && this.next && i < 50; i++) await this.page(this.next);
      if (!this.m.has(id)) try { this.place(await this.api('/comments/' + id), 0, this.linked); } catch {}
    }
    const n = this.m.get(id);
    if (!n) return;
    this.root.querySelector('.cmt-hl')?.classList.remove('cmt-hl');
    n.art.classList.add('cmt-hl');
    n.art.scrollIntoView({block: 'center'});
    n.art.focus({preventScroll: true});
  }
}

const start = () => document.querySelectorAll('#comments,.comments-thread,[data-comments]').forEach((el, i) => {
  try { if (el.dataset.site && !el.shadowRoot) new Widget(el, !i); } catch {} // cannot host a shadow root
});
document.readyState == 'loading' ? document.addEventListener('DOMContentLoaded', start) : start();
})();
