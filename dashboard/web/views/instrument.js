// One instrument (issue 7): facts and state, live values, readings chart, error-versus-time chart
// per channel, alerts, check and calibration history with certificates, and the forms.
import {
  api,
  el,
  t,
  can,
  state,
  fmtNum,
  fmtDate,
  fmtDateTime,
  formatValue,
  channelLabel,
  channelRank,
  ago,
  stateBadge,
  onLive,
  errorBox,
  unitLabel,
  reasonText,
  loadOrgNames,
  orgName,
} from '../lib.js';
import { readingsChart, errorChart } from './charts.js';
import { alertTable } from './alerts.js';
import { checkForm, calibrationForm, completeForm, reassignForm, voidForm } from './forms.js';

export async function render(root, [id]) {
  const enc = encodeURIComponent(id);
  let inst, drift, cals, st;
  try {
    [inst, drift, cals, st] = await Promise.all([
      api(`/instruments/${enc}`),
      api(`/instruments/${enc}/drift`),
      api(`/instruments/${enc}/calibrations`),
      api(`/instruments/${enc}/state`),
      loadOrgNames(),
    ]);
  } catch (err) {
    root.append(el('h1', {}, id), errorBox(err));
    return;
  }
  const units = new Map(inst.channels.map((c) => [c.channel, c.unit]));
  const reload = () => window.dispatchEvent(new HashChangeEvent('hashchange'));

  const badge = el('span', { id: 'inst-state' }, st ? stateBadge(st.state) : null);
  root.append(
    el('p', { class: 'crumbs' }, el('a', { href: '#/instruments' }, t('instruments')), ' › ', id),
    el('h1', {}, `${id}${inst.name ? ` — ${inst.name}` : ''} `, badge),
  );
  const fact = (k, v) => [el('dt', {}, t(k)), el('dd', {}, v ?? '–')];
  root.append(
    el(
      'dl',
      { class: 'facts' },
      fact('col.org', inst.orgName ?? inst.org),
      fact('col.kind', t('kind.' + (inst.kind ?? 'null'))),
      fact('col.site', inst.site),
      fact('col.serial', inst.serial),
      fact('col.registration', t('registration.' + inst.registration)),
      fact('col.lab', drift.lab ? orgName(drift.lab) : null),
      fact('col.gateway', inst.gateway),
      fact('col.lastVerification', fmtDate(drift.lastCalibration)),
      fact('col.nextDue', el('span', { 'data-due-state': drift.dueState }, fmtDate(drift.nextDue), ' ', t('due.state.' + drift.dueState))),
      fact('col.interval', intervalFact(drift.interval)),
      can('lab', 'authority')
        ? fact('col.intervalAdvice', t('advice', { cur: fmtNum(drift.intervalAdvice.currentDays, 0), sug: fmtNum(drift.intervalAdvice.suggestedDays, 0) }))
        : [],
    ),
  );
  if (inst.registration === 'unregistered' && can('enterprise')) root.append(completeForm(inst, reload));

  // Live values.
  const values = el('ul', { class: 'values big', 'aria-live': 'off' });
  const seen = el('p', { class: 'muted small' });
  const drawValues = () => {
    values.replaceChildren(
      ...[...inst.channels]
        .sort((a, b) => channelRank(a.channel) - channelRank(b.channel))
        .map((c) =>
          el(
            'li',
            { 'data-channel': c.channel },
            el('span', { class: 'ch' }, channelLabel(c.channel)),
            ' ',
            el('span', { class: 'val' }, formatValue(c.value, c.unit, c.channel)),
            c.status && c.status !== 'ok' ? el('span', { class: `badge status-${c.status}` }, t('status.' + c.status)) : null,
          ),
        ),
    );
    seen.textContent = `${t('col.seen')}: ${ago(inst.lastSeen)}`;
  };
  drawValues();
  root.append(el('section', { 'aria-labelledby': 'sec-live' }, el('h2', { id: 'sec-live' }, t('inst.live')), values, seen));

  // Readings chart.
  const rc = readingsChart(inst);
  root.append(
    el(
      'section',
      { 'aria-labelledby': 'sec-readings' },
      el('h2', { id: 'sec-readings' }, t('inst.readings')),
      el('p', { class: 'muted small' }, t('chart.help')),
      rc.node,
    ),
  );

  // Error versus time, per channel with checks.
  const errSection = el('section', { 'aria-labelledby': 'sec-error' }, el('h2', { id: 'sec-error' }, t('inst.error')));
  root.append(errSection);
  const charts = [];
  const from = drift.lastCalibration ?? 0;
  const checksByCh = new Map();
  for (const dc of drift.channels) {
    const r = await api(`/instruments/${enc}/checks?channel=${dc.channel}&from=${from}&limit=5000`);
    // The server's decision rule (analytics/entry-rules.ts isDecisionCheck): traceable, or naming no standard; never under review.
    const decision = r.items.filter((c) => (c.traceable || c.reference === null) && !c.review);
    checksByCh.set(dc.channel, r.items);
    const ch = errorChart(dc, decision, drift, units.get(dc.channel));
    errSection.append(
      el('h3', {}, channelLabel(dc.channel)),
      dc.conformity
        ? el(
            'p',
            { class: 'muted small' },
            t('conf.' + dc.conformity.zone, { rule: t('rule.' + dc.conformity.rule) }),
            state.lang === 'en' ? ` ${dc.conformity.statement}` : '',
          )
        : null,
      ch.node,
    );
    charts.push(ch);
  }
  if (!drift.channels.length) errSection.append(el('p', { class: 'muted' }, t('inst.noChecks')));

  // Alerts of this instrument.
  const alertsHost = el('div');
  root.append(el('section', { 'aria-labelledby': 'sec-alerts' }, el('h2', { id: 'sec-alerts' }, t('nav.alerts')), alertsHost));
  const drawAlerts = async () => alertsHost.replaceChildren(alertTable((await api(`/alerts?instrument=${enc}&limit=50`)).items, drawAlerts));
  await drawAlerts();

  // Checks history (newest first).
  const allChecks = [...checksByCh.values()]
    .flat()
    .sort((a, b) => b.ts - a.ts)
    .slice(0, 30);
  root.append(
    el(
      'section',
      { 'aria-labelledby': 'sec-checks' },
      el('h2', { id: 'sec-checks' }, t('inst.checks')),
      allChecks.length
        ? el(
            'table',
            { class: 'grid', 'data-table': 'checks' },
            el(
              'thead',
              {},
              el(
                'tr',
                {},
                ...['col.time', 'col.channel', 'col.reference', 'col.refValue', 'col.indicated', 'col.error', 'col.traceable'].map((k) =>
                  el('th', { scope: 'col' }, t(k)),
                ),
              ),
            ),
            el(
              'tbody',
              {},
              ...allChecks.map((c) =>
                el(
                  'tr',
                  { 'data-ts': String(c.ts) },
                  el('td', {}, fmtDateTime(c.ts)),
                  el('td', {}, channelLabel(c.channel)),
                  el('td', {}, c.reference ?? '–'),
                  el('td', { class: 'num' }, fmtNum(c.referenceValue)),
                  el('td', { class: 'num' }, fmtNum(c.indicated)),
                  el('td', { class: 'num' }, `${fmtNum(c.error)} ${unitLabel(units.get(c.channel))}`),
                  el(
                    'td',
                    {},
                    c.traceable && !c.review && !c.fitness
                      ? t('yes')
                      : [
                          el('span', { class: 'badge st-near_limit' }, c.traceable && !c.review ? t('yes') : t('no')),
                          el(
                            'div',
                            { class: 'small muted trace-reason' },
                            reasonText([c.traceable ? null : c.traceReason, c.review, c.fitness].filter(Boolean).join('; ')),
                          ),
                        ],
                  ),
                ),
              ),
            ),
          )
        : el('p', { class: 'muted' }, t('inst.noChecks')),
    ),
  );

  // Calibrations and verifications, with certificates.
  root.append(
    el(
      'section',
      { 'aria-labelledby': 'sec-cals' },
      el('h2', { id: 'sec-cals' }, t('inst.calibrations')),
      cals.items.length
        ? el(
            'table',
            { class: 'grid', 'data-table': 'calibrations' },
            el(
              'thead',
              {},
              el(
                'tr',
                {},
                ...['col.date', 'col.type', 'col.certificate', 'col.lab', 'col.result', 'col.points', 'col.nextDue', 'col.authorisedBy', 'col.status'].map(
                  (k) => el('th', { scope: 'col' }, t(k)),
                ),
              ),
            ),
            el(
              'tbody',
              {},
              ...[...cals.items]
                .sort((a, b) => b.date - a.date)
                .map((c) =>
                  el(
                    'tr',
                    { 'data-certificate': c.certificate, 'data-status': c.status ?? 'valid', class: c.status && c.status !== 'valid' ? 'corrected' : '' },
                    el('td', {}, fmtDate(c.date)),
                    el('td', {}, t('caltype.' + c.type)),
                    el('td', {}, el('strong', {}, c.certificate), c.procedure ? el('div', { class: 'muted small' }, c.procedure) : null),
                    el('td', {}, orgName(c.lab)),
                    el('td', {}, t('result.' + c.result)),
                    el(
                      'td',
                      {},
                      c.results
                        .map(
                          (p) =>
                            `${fmtNum(p.nominal)} ${unitLabel(p.unit)}: ${fmtNum(p.asFound)}${p.asLeft !== null && p.asLeft !== undefined ? ` → ${fmtNum(p.asLeft)}` : ''}${p.mpe != null ? ` (${t('cal.pointMpe', { stage: p.mpeStage ? t(`stage.short.${p.mpeStage}`) : '', mpe: fmtNum(p.mpe) })})` : ''}`,
                        )
                        .join('; '),
                    ),
                    el('td', {}, fmtDate(c.nextDue)),
                    el('td', {}, c.author ?? c.authorisedBy, c.content?.signatory ? el('div', { class: 'muted small' }, c.content.signatory) : null),
                    recordStatusCell(c),
                  ),
                ),
            ),
          )
        : el('p', { class: 'muted' }, t('inst.noCalibrations')),
    ),
  );

  // Corrections (ISO/IEC 17025 7.8.8): the issuing lab supersedes or voids; the authority voids.
  function recordStatusCell(c) {
    const status = c.status ?? 'valid';
    const cell = el('td', {}, el('span', { class: `status-${status}` }, t('recstatus.' + status)));
    if (status !== 'valid')
      cell.append(el('div', { class: 'muted small' }, t('recstatus.by', { by: c.statusBy ?? '—', date: fmtDate(c.statusAt), reason: c.statusReason ?? '' })));
    // The record that replaces it, by its certificate number (the list holds both).
    const by = c.supersededBy === null || c.supersededBy === undefined ? null : cals.items.find((x) => x.id === c.supersededBy);
    if (by) cell.append(el('div', { class: 'small', 'data-superseded-by': by.certificate }, t('recstatus.replacedBy', { c: by.certificate })));
    const me = state.me;
    const issuer = me.role === 'lab' && me.org === c.lab;
    if (status === 'valid' && (issuer || me.role === 'authority' || me.role === 'admin')) {
      const box = el('div', { class: 'correction-actions' });
      const open = (form) => (box.replaceChildren(form), form.querySelector('input')?.focus());
      if (issuer || me.role === 'admin')
        box.append(
          el(
            'button',
            { type: 'button', class: 'secondary', 'data-supersede': c.certificate, onclick: () => open(calibrationForm(inst, drift, reload, c)) },
            t('form.supersedeOpen'),
          ),
        );
      box.append(
        el('button', { type: 'button', class: 'secondary', 'data-void': c.certificate, onclick: () => open(voidForm(inst, c, reload)) }, t('form.voidOpen')),
      );
      cell.append(box);
    }
    return cell;
  }

  // Forms by role (the API checks again).
  // The authority hands a squatted id to its real owner (issue 15, section 7).
  if (state.me?.role === 'authority') root.append(el('details', { class: 'card' }, el('summary', {}, t('form.reassign')), reassignForm(inst, reload)));
  if (inst.registration === 'registered') {
    if (can('lab', 'enterprise')) root.append(checkForm(inst, reload));
    if (can('lab')) root.append(calibrationForm(inst, drift, reload));
    if (can('enterprise')) root.append(el('details', { class: 'card' }, el('summary', {}, t('form.edit')), completeForm(inst, reload, true)));
  }

  // Charts need their width: draw once they are in the page.
  requestAnimationFrame(() => (rc.load(), charts.forEach((c) => c.draw())));

  const offValues = onLive('values', (updates) => {
    const u = updates.find((x) => x.id === id);
    if (u) (inst.lastSeen = u.lastSeen), (inst.channels = u.channels), drawValues();
  });
  const offStates = onLive('states', (changes) => {
    const c = changes.find((x) => x.id === id);
    if (c) badge.replaceChildren(stateBadge(c.state));
  });
  const offAlerts = onLive('alert', (a) => a.instrument === id && drawAlerts());
  return () => (offValues(), offStates(), offAlerts());
}

/**
 * The verification interval with where it comes from: the legal list's row and how directly it was
 * read (today every row: "appendix not read", core/legal/verification-intervals.ts), or a stated
 * service override in days.
 */
function intervalFact(iv) {
  if (!iv || iv.basis === 'none') return null;
  if (iv.basis === 'service-override') return el('span', { 'data-interval-basis': iv.basis }, t('interval.days', { n: fmtNum(iv.days, 0) }));
  return el(
    'span',
    { 'data-interval-basis': iv.basis, 'data-interval-status': iv.status ?? '' },
    t('interval.months', { n: fmtNum(iv.months, 0) }),
    iv.statusText
      ? el(
          'div',
          { class: 'muted small interval-status' },
          iv.source?.url
            ? el('a', { href: iv.source.url, rel: 'noopener noreferrer', target: '_blank' }, iv.statusText[state.lang === 'en' ? 'en' : 'vi'])
            : iv.statusText[state.lang === 'en' ? 'en' : 'vi'],
        )
      : null,
  );
}
