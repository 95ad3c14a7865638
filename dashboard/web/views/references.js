// Reference standards (issue 7): value, uncertainty, certificate, expiry and the traceability
// chain up to the top standard, with the broken link shown where there is one, and where the chain
// ends: the root's anchor (a national standard or an accredited certificate: issuer, number, date).
import { api, el, t, fmtNum, fmtDate, fmtInt, unitLabel, daysUntil, load, reasonText, loadOrgNames, orgName, quantityLabel } from '../lib.js';

export async function render(root) {
  root.append(el('h1', {}, t('nav.references')));
  const loaded = await load(root, () => Promise.all([api('/references'), loadOrgNames()]).then(([r]) => r));
  if (!loaded) return;
  const refs = loaded.items;
  const expiry = (r) => {
    if (!r.due) return el('span', { class: 'muted' }, '–');
    const d = daysUntil(r.due);
    const cls = d < 0 ? 'st-out_of_tolerance' : d <= 30 ? 'st-due_soon' : 'st-in_tolerance';
    return el(
      'span',
      {},
      fmtDate(r.due),
      ' ',
      el(
        'span',
        { class: `badge ${cls}`, 'data-expiry': d < 0 ? 'expired' : d <= 30 ? 'soon' : 'ok' },
        d < 0 ? t('ref.expired', { n: fmtInt(-d) }) : d <= 30 ? t('ref.soon', { n: fmtInt(d) }) : t('ref.valid'),
      ),
    );
  };
  const byId = new Map(refs.map((r) => [r.id, r]));
  // The chain's anchor; where a link before the root broke it, the root's own anchor if listed.
  const anchorOf = (r) => r.traceability?.anchor ?? byId.get(r.traceability?.chain?.at(-1))?.anchor ?? null;
  const anchorLine = (a) =>
    el(
      'div',
      { class: 'small anchor', 'data-anchor': a.kind },
      t('ref.anchor', { issuer: a.kind === 'national_standard' ? `${t('ref.anchorNational')} — ${a.issuer}` : a.issuer }),
      ...[a.certificate ? t('ref.anchorCert', { certificate: a.certificate }) : null, a.date ? t('ref.anchorDate', { date: fmtDate(a.date) }) : null]
        .filter(Boolean)
        .map((part, i) => (i === 0 ? ` — ${part}` : `, ${part}`)),
    );
  const chain = (r) => {
    const c = r.traceability?.chain ?? [r.id];
    const broken = r.traceability?.brokenLink;
    const anchor = anchorOf(r);
    const notTraceable = r.traceability && !r.traceability.traceable;
    return el(
      'div',
      {},
      el(
        'ol',
        { class: 'chain', 'aria-label': t('ref.chain') },
        ...c.map((id) => el('li', { class: id === broken ? 'broken' : '' }, id)),
        notTraceable ? el('li', { class: 'broken-note', title: r.traceability.reason ?? '' }, t('ref.notTraceable')) : el('li', { class: 'top' }, t('ref.top')),
      ),
      anchor ? anchorLine(anchor) : null,
      notTraceable ? el('div', { class: 'muted small', 'data-reason': '' }, reasonText(r.traceability.reason)) : null,
    );
  };
  root.append(
    el('p', { class: 'muted' }, t('ref.help')),
    el(
      'table',
      { class: 'grid', id: 'references' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...['col.reference', 'col.class', 'col.refValue', 'col.certificate', 'col.calibratedOn', 'col.expiry', 'ref.chain'].map((k) =>
            el('th', { scope: 'col' }, t(k)),
          ),
        ),
      ),
      el(
        'tbody',
        {},
        ...refs.map((r) =>
          el(
            'tr',
            { 'data-reference': r.id },
            el('th', { scope: 'row' }, el('strong', {}, r.id), el('div', { class: 'muted small' }, `${quantityLabel(r.quantity)} · ${orgName(r.lab)}`)),
            el('td', {}, r.class ?? '–'),
            el(
              'td',
              { class: 'num' },
              `${fmtNum(r.value)} ${unitLabel(r.unit)}`,
              el('div', { class: 'muted small' }, `U = ${fmtNum(r.U)} ${unitLabel(r.unit)} (k = ${fmtNum(r.k)})`),
            ),
            el('td', {}, r.certificate ?? '–'),
            el('td', {}, fmtDate(r.calibratedOn)),
            el('td', {}, expiry(r)),
            el('td', {}, chain(r)),
          ),
        ),
      ),
    ),
  );
}
