/* Comment counts on listing pages: fills every element with data-comments-count="/uri" (site
   from its data-site or this script tag's data-site) with text such as "5 comments", using
   one request per site and per 100 uris. See docs/embedding.md. */
(() => {
'use strict';
const ME = document.currentScript || [...document.scripts].find(s => /\/static\/count\.js([?#]|$)/.test(s.src));
if (!ME) return;
const API = new URL(ME.src).origin + '/api/v1/counts', BATCH = 100;
const WORDS = {
  en: {one: '{n} comment', other: '{n} comments'},
  de: {one: '{n} Kommentar', other: '{n} Kommentare'},
  fr: {one: '{n} commentaire', other: '{n} commentaires'},
  ar: {zero: 'لا تعليقات', one: 'تعليق واحد', two: 'تعليقان', few: '{n} تعليقات', many: '{n} تعليقًا', other: '{n} تعليق'},
};
const text = (el, n) => {
  let lang = (el.dataset.lang || el.closest('[lang]')?.lang || 'en').slice(0, 2).toLowerCase();
  if (!WORDS[lang]) lang = 'en';
  const forms = WORDS[lang];
  return (forms[new Intl.PluralRules(lang).select(n)] || forms.other).replace('{n}', n.toLocaleString(lang));
};
const run = () => {
  const bySite = {};
  for (const el of document.querySelectorAll('[data-comments-count]')) {
    const site = el.dataset.site || ME.dataset.site, uri = el.dataset.commentsCount.trim();
    if (site && uri) ((bySite[site] ||= {})[uri] ||= []).push(el);
  }
  for (const site in bySite) {
    const uris = Object.keys(bySite[site]);
    for (let i = 0; i < uris.length; i += BATCH) {
      const q = new URLSearchParams({site});
      uris.slice(i, i + BATCH).forEach(u => q.append('uri', u));
      fetch(API + '?' + q, {credentials: 'omit'})
        .then(r => r.ok ? r.json() : Promise.reject(r.status))
        .then(d => {
          for (const uri in d.counts) for (const el of bySite[site][uri] || []) el.textContent = text(el, d.counts[uri]);
        })
        .catch(() => { /* counts are decoration: leave the placeholder text */ });
    }
  }
};
document.readyState == 'loading' ? document.addEventListener('DOMContentLoaded', run) : run();
})();
