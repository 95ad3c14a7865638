// Forms (issue 7): record a check, record a calibration or verification, complete an
// unregistered instrument. Each posts to the API and shows its answer or its error in words.
import {
  api,
  el,
  t,
  channelLabel,
  channelRank,
  dateInput,
  decimalsOf,
  fmtDate,
  fmtNum,
  fmtStep,
  isoDay,
  readDate,
  reasonText,
  resolutionOf,
  state,
} from '../lib.js';
import { boundsOf } from './form-rules.js';

/**
 * The last answer a form showed, kept until the user dismisses it: the page drawn again after a
 * save builds the form anew, and the new form shows it (same form id, same page, same language).
 */
let kept = null;

/**
 * Reloads the page a moment after a save, unless the user has moved on meanwhile: a reload then
 * would re-draw the page they went to and empty a form they are filling. A form the page does not
 * draw again (`oneOff`: a correction opened from a record's row) leaves its answer in a notice.
 */
function afterSave(done, oneOff = false) {
  const at = location.hash;
  setTimeout(() => {
    if (location.hash !== at) return;
    if (oneOff && kept) notice(kept.text), (kept = null);
    done();
  }, 800);
}

/** A close button for a message: keyboard reachable, named in the page's language. */
const closeButton = (onclick) => el('button', { type: 'button', class: 'msg-close', 'aria-label': t('form.dismiss'), title: t('form.dismiss'), onclick }, '×');

/** A confirmation outside the page's content (it outlives the page being drawn again), until closed. */
function notice(text) {
  const box = el('div', { class: 'page-notice', role: 'status', 'aria-live': 'polite' }, el('p', {}, text));
  box.append(
    closeButton(() => {
      box.remove();
      document.querySelector('main')?.focus();
    }),
  );
  document.body.append(box);
}

/**
 * A record's time from a date field (Vietnam time): 09:00 of that day — or now, for today
 * before 09:00, so a record made this morning is not "in the future". A later day stays what
 * it says (the server refuses it with its reason).
 */
const dayTs = (text) => {
  const day = readDate(text);
  const nine = new Date(`${day}T09:00:00+07:00`).getTime();
  return day === isoDay(Date.now()) ? Math.min(nine, Date.now()) : nine;
};

const field = (label, input, hint) => el('label', { class: 'field' }, el('span', {}, label), input, hint ? el('small', { class: 'muted' }, hint) : null);
// Text with a decimal keyboard rather than type=number: people here write 20,004 (decimal comma).
const num = (name, attrs = {}) =>
  el('input', {
    name,
    type: 'text',
    inputmode: 'decimal',
    pattern: '-?[0-9]+([.,][0-9]+)?',
    'data-num': attrs.pattern === '[0-9]+' ? 'integer' : 'decimal',
    autocomplete: 'off',
    required: true,
    ...attrs,
    ...boundsOf(name),
  });
const channelSelect = (inst) =>
  el(
    'select',
    { name: 'channel' },
    ...inst.channels
      .filter((c) => !/(^|_)(state|amount|unit_price)$/.test(c.channel))
      .sort((a, b) => channelRank(a.channel) - channelRank(b.channel))
      .map((c) => el('option', { value: c.channel }, channelLabel(c.channel))),
  );
/** A decimal typed with a Vietnamese comma is still a number. */
const val = (form, name) => {
  const raw = form.elements[name]?.value?.trim() ?? '';
  return raw === '' ? undefined : Number(raw.replace(',', '.'));
};

/**
 * The first field that breaks its rule, as a sentence in the page's language (the browser's own
 * bubbles would speak the browser's language, and say nothing of decimal commas): required,
 * a decimal number (comma or point), a positive whole number.
 */
function invalidField(form) {
  for (const input of form.querySelectorAll('input, select')) {
    input.removeAttribute('aria-invalid');
    const rule = ruleBroken(input, input.value.trim());
    if (rule) return { input, ...rule };
  }
  return null;
}

/**
 * The rule a field's text breaks, with its limit: required, a date (dd/mm/yyyy, with hh:mm for a
 * time), a number, a whole number, and the bounds of the server's schema (form-rules.js).
 */
function ruleBroken(input, v) {
  if (v === '') return input.required ? { rule: 'required' } : null;
  const d = input.dataset;
  if (d.date) return readDate(v, d.date === 'datetime') ? null : { rule: d.date === 'datetime' ? 'datetime' : 'date' };
  if (d.num === 'integer' && !/^-?[0-9]+$/.test(v)) return { rule: 'integer' };
  if (d.num === 'decimal' && !/^-?[0-9]+([.,][0-9]+)?$/.test(v)) return { rule: 'number' };
  if (!d.num) return null;
  const x = Number(v.replace(',', '.'));
  if (d.min !== undefined && x < Number(d.min)) return { rule: 'min', limit: Number(d.min) };
  if (d.above !== undefined && x <= Number(d.above)) return { rule: 'above', limit: Number(d.above) };
  if (d.max !== undefined && x > Number(d.max)) return { rule: 'max', limit: Number(d.max) };
  return null;
}

/**
 * A form with its message: the answer (saved, refused, a field to put right) stays on screen until
 * the user closes it (its button, keyboard reachable) or submits again, and after the page is
 * drawn again following a save.
 */
function shell(title, id, fields, submit, onSubmit) {
  const msg = el('p', { class: 'form-msg', role: 'status', 'aria-live': 'polite' });
  const button = el('button', { type: 'submit' }, submit);
  const close = closeButton(() => {
    show('', '');
    if (kept?.id === id) kept = null;
    button.focus();
  });
  const note = el('div', { class: 'form-note', hidden: true }, msg, close);
  const form = el(
    'form',
    { class: 'card form', id, novalidate: true, 'aria-labelledby': `${id}-h` },
    el('h2', { id: `${id}-h` }, title),
    ...fields,
    button,
    note,
  );
  /** Shows a message (state ok, error, or '' while sending), or hides the empty one. */
  function show(text, cls) {
    msg.className = cls ? `form-msg ${cls}` : 'form-msg';
    msg.textContent = text;
    note.hidden = text === '';
    close.hidden = cls === '';
  }
  if (kept && (kept.hash !== location.hash || kept.lang !== state.lang)) kept = null;
  if (kept?.id === id) show(kept.text, 'ok');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (kept?.id === id) kept = null;
    const bad = invalidField(form);
    if (bad) {
      bad.input.setAttribute('aria-invalid', 'true');
      bad.input.focus();
      show(
        t('form.invalid', {
          field: bad.input.closest('label')?.querySelector('span')?.textContent ?? bad.input.name,
          rule: t('form.rule.' + bad.rule, { n: fmtNum(bad.limit) }),
        }),
        'error',
      );
      msg.dataset.invalid = bad.input.name;
      return;
    }
    delete msg.dataset.invalid;
    show(t('form.sending'), '');
    try {
      const text = await onSubmit(form);
      kept = { id, hash: location.hash, lang: state.lang, text };
      show(text, 'ok');
    } catch (err) {
      // The server's refusal is in the page's language (the request says which); a failed fetch (TypeError) has no words of its own.
      show(`${t('form.failed')}: ${err instanceof TypeError ? t('form.offline') : err.message}`, 'error');
    }
  });
  return form;
}

/**
 * The standards a person may pick (issue 15): expired ones are marked and never preselected; the
 * first choice is "no registered standard" (then a reference value is typed, not traceable).
 * `standards` is the form's one request for the list, shared by its test points.
 */
function standardPicklist(name, standards) {
  const select = el('select', { name }, el('option', { value: '' }, t('form.noStandard')));
  standards
    .then((items) => {
      const now = Date.now();
      for (const x of items) {
        const expired = x.due !== null && x.due < now;
        const label = `${x.id} · ${x.class ?? ''} ${fmtNum(x.nominal)} ${x.unit}${expired ? ` — ${t('form.standardExpired', { date: fmtDate(x.due) })}` : ''}`;
        select.append(el('option', { value: x.id, ...(expired ? { 'data-expired': '', class: 'expired' } : {}) }, label));
      }
    })
    .catch(() => {});
  return select;
}

/**
 * An error indicated − reference at the resolution it has: the finer of the channel's (`step`) and
 * of the values it is the difference of (5.001 − 5.0001 is 0.0009, not 0.000900000000000345).
 */
const fmtError = (c, step) => {
  const typed = 10 ** -Math.max(decimalsOf(c.indicated), decimalsOf(c.referenceValue));
  return fmtStep(c.error, step > 0 ? Math.min(step, typed) : typed);
};

/** The answer to a checks submission in words: stored, already stored, refused with reasons (never "saved" for what was not stored). */
export function checksAnswer(r, step = null) {
  if (r.duplicate) return t('form.checkRepeat', { n: r.stored });
  const parts = [];
  if (r.stored > 0) parts.push(t('form.checkStored', { n: r.stored, e: r.checks.map((c) => fmtError(c, step)).join(' / ') || '–', a: r.alerts.length }));
  if (r.duplicates > 0) parts.push(t('form.checkDuplicates', { n: r.duplicates }));
  if (r.rejects.length > 0) parts.push(t('form.checkRefused', { n: r.rejects.length, why: r.rejects.map((x) => x.message).join('; ') }));
  const unfit = r.checks.filter((c) => c.fitness || !c.traceable);
  if (unfit.length > 0) parts.push(t('form.checkNotTraceable', { why: unfit.map((c) => reasonText(c.fitness ?? c.traceReason)).join('; ') }));
  return parts.join(' ');
}

/**
 * One load of a check: the standard (or a typed reference value) and what the instrument showed.
 * The first load's fields keep their plain names (reference, referenceValue, indicated); an added
 * load n has them with "-n" (a multi-load check: several loads at one instant, issue 15).
 */
function checkLoad(n, standards) {
  const s = n === 0 ? '' : `-${n}`;
  return el(
    'fieldset',
    { class: 'test-point', 'data-point': String(n) },
    el('legend', {}, t('form.point', { n: n + 1 })),
    field(t('form.reference'), standardPicklist(`reference${s}`, standards), n === 0 ? t('form.referenceHint') : null),
    field(t('form.referenceValue'), num(`referenceValue${s}`, { required: false }), n === 0 ? t('form.referenceValueHint') : null),
    field(t('col.indicated'), num(`indicated${s}`)),
  );
}

/** Record a check: one load, or several at one instant (one submission, one check per load). */
export function checkForm(inst, done) {
  const mayUseStandards = state.me.role === 'lab' || state.me.role === 'authority' || state.me.role === 'admin';
  const standards = mayUseStandards ? api('/references').then((r) => r.items) : Promise.resolve([]);
  const loads = el('div', { class: 'test-points' }, checkLoad(0, standards));
  // One key per filled form: a second click (or a retry after a lost answer) is recognised as the same submission.
  let key = null;
  const addLoad = el(
    'button',
    {
      type: 'button',
      class: 'secondary',
      'data-add-point': '',
      onclick: () => {
        const p = checkLoad(loads.children.length, standards);
        loads.append(p);
        key = null;
        p.querySelector('select, input').focus();
      },
    },
    t('form.addPoint'),
  );
  const form = shell(
    t('form.check'),
    'form-check',
    [field(t('col.channel'), channelSelect(inst)), field(t('col.time'), dateInput('ts', Date.now(), { withTime: true, required: true })), loads, addLoad],
    t('form.checkSubmit'),
    async (f) => {
      const ts = new Date(`${readDate(f.elements.ts.value, true)}:00+07:00`).getTime();
      const channel = f.elements.channel.value;
      const checks = [...loads.children].map((_, n) => {
        const s = n === 0 ? '' : `-${n}`;
        const check = { channel, ts, indicated: val(f, `indicated${s}`) };
        if (f.elements[`reference${s}`].value) check.reference = f.elements[`reference${s}`].value.trim();
        if (val(f, `referenceValue${s}`) !== undefined) check.referenceValue = val(f, `referenceValue${s}`);
        return check;
      });
      key ??= `web-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
      const r = await api(`/instruments/${encodeURIComponent(inst.id)}/checks`, { method: 'POST', body: { checks, idempotencyKey: key } });
      const text = checksAnswer(r, resolutionOf(inst.channels, channel));
      if (r.stored === 0 && !r.duplicate && r.duplicates === 0) throw new Error(text);
      if (r.stored > 0 && !r.duplicate) afterSave(done);
      return text;
    },
  );
  // A changed form is a new submission (another load at the same instant is another check).
  form.addEventListener('input', () => {
    key = null;
  });
  return form;
}

/** One test point of a certificate: nominal value, error as found, error as left, U. */
function testPoint(n) {
  return el(
    'fieldset',
    { class: 'test-point', 'data-point': String(n) },
    el('legend', {}, t('form.point', { n: n + 1 })),
    field(t('form.nominal'), num(`nominal-${n}`)),
    field(t('form.asFound'), num(`asFound-${n}`)),
    field(t('form.asLeft'), num(`asLeft-${n}`, { required: false })),
    field(t('form.U'), num(`U-${n}`, { pattern: '[0-9]+([.,][0-9]+)?' })),
  );
}

/**
 * The designations of the signed-in lab valid now (issue 15): a verification is issued under one;
 * the server checks it again (analytics/authority.ts).
 */
function designationSelect() {
  const select = el('select', { name: 'designation' }, el('option', { value: '' }, t('form.designationAuto')));
  api('/designations')
    .then((r) => {
      const now = Date.now();
      for (const d of r.items) {
        const valid = d.withdrawnAt === null && d.validFrom <= now && (d.validUntil === null || now <= d.validUntil);
        if (valid) select.append(el('option', { value: String(d.id) }, `${d.decision} · ${d.kinds.map((k) => t('kind.' + k)).join(', ')}`));
      }
    })
    .catch(() => {});
  return select;
}

/**
 * Record a verification or calibration, or (with `supersedes`) the record that corrects one
 * (ISO/IEC 17025 7.8.8: new number and reason). The lab is the signed-in organisation and the
 * author the signed-in user (the server sets both); a refusal is shown in words, never "saved".
 */
export function calibrationForm(inst, _drift, done, supersedes = null) {
  const ch = channelSelect(inst);
  const points = el('div', { class: 'test-points' }, testPoint(0));
  const addPoint = el(
    'button',
    {
      type: 'button',
      class: 'secondary',
      'data-add-point': '',
      onclick: () => {
        const p = testPoint(points.children.length);
        points.append(p);
        p.querySelector('input').focus();
      },
    },
    t('form.addPoint'),
  );
  const type = el(
    'select',
    { name: 'type' },
    el('option', { value: 'verification' }, t('caltype.verification')),
    el('option', { value: 'calibration' }, t('caltype.calibration')),
  );
  if (supersedes) type.value = supersedes.type;
  const text = (name, attrs = {}) => el('input', { name, maxlength: 100, ...attrs });
  // Section 6: a verification's legal marks; a certificate's ISO/IEC 17025 7.8 contents.
  const marks = el(
    'fieldset',
    { class: 'marks', 'data-for': 'verification' },
    el('legend', {}, t('form.marks')),
    field(t('form.designation'), designationSelect()),
    field(t('form.stamp'), text('stamp', { maxlength: 60 })),
    field(t('form.seals'), text('seals', { maxlength: 400 }), t('form.sealsHint')),
    field(t('form.verifier'), text('verifier')),
    field(t('form.verifierCard'), text('verifierCard', { maxlength: 60 })),
  );
  const contents = el(
    'fieldset',
    { class: 'contents' },
    el('legend', {}, t('form.contents')),
    field(t('form.issuedAt'), dateInput('issuedAt', null)),
    field(
      t('form.place'),
      el(
        'select',
        { name: 'place' },
        el('option', { value: '' }, '—'),
        el('option', { value: 'on_site' }, t('place.on_site')),
        el('option', { value: 'lab' }, t('place.lab')),
      ),
    ),
    field(t('form.customer'), text('customer', { maxlength: 200 })),
    field(t('form.manufacturer'), text('manufacturer', { maxlength: 200 })),
    field(t('form.model'), text('model', { maxlength: 200 })),
    field(t('form.patternApproval'), text('patternApproval')),
    field(t('form.traceability'), text('traceability', { maxlength: 500 })),
    field(t('form.coverageK'), num('coverageK', { required: false, pattern: '[0-9]+([.,][0-9]+)?' })),
    field(t('form.signatory'), text('signatory')),
  );
  const showMarks = () => (marks.hidden = type.value !== 'verification');
  type.addEventListener('change', showMarks);
  showMarks();
  const form = shell(
    supersedes ? t('form.supersede', { c: supersedes.certificate }) : t('form.calibration'),
    supersedes ? 'form-supersede' : 'form-cal',
    [
      supersedes ? field(t('form.reason'), el('input', { name: 'reason', required: true, maxlength: 1000 }), t('form.supersedeHint')) : null,
      field(t('col.type'), type),
      field(t('col.date'), dateInput('date', supersedes?.date ?? Date.now(), { required: true })),
      field(t('col.certificate'), el('input', { name: 'certificate', required: true, maxlength: 100 })),
      field(t('form.procedure'), el('input', { name: 'procedure', placeholder: 'ĐLVN 10:2017' })),
      field(t('col.channel'), ch),
      points,
      addPoint,
      field(t('form.references'), el('input', { name: 'references', placeholder: 'REF-M1-20KG' }), t('form.referencesHint')),
      marks,
      contents,
      field(t('form.interval'), num('intervalDays', { required: false, pattern: '[0-9]+' })),
    ].filter(Boolean),
    supersedes ? t('form.supersedeSubmit') : t('form.calibrationSubmit'),
    async (f) => {
      const channel = f.elements.channel.value;
      const unit = inst.channels.find((c) => c.channel === channel)?.unit ?? '';
      const results = [...points.children].map((_, n) => ({
        channel,
        unit,
        nominal: val(f, `nominal-${n}`),
        asFound: val(f, `asFound-${n}`),
        U: val(f, `U-${n}`),
        // No adjustment: as-left is left out (the record keeps it absent, not zero).
        ...(val(f, `asLeft-${n}`) === undefined ? {} : { asLeft: val(f, `asLeft-${n}`) }),
      }));
      const body = {
        type: f.elements.type.value,
        date: dayTs(f.elements.date.value),
        certificate: f.elements.certificate.value.trim(),
        results,
        references: f.elements.references.value.split(/[\s,;]+/).filter(Boolean),
      };
      if (f.elements.procedure.value) body.procedure = f.elements.procedure.value.trim();
      if (val(f, 'intervalDays') !== undefined) body.intervalDays = val(f, 'intervalDays');
      for (const k of ['customer', 'manufacturer', 'model', 'patternApproval', 'traceability', 'signatory', 'place'])
        if (f.elements[k].value.trim()) body[k] = f.elements[k].value.trim();
      if (f.elements.issuedAt.value) body.issuedAt = dayTs(f.elements.issuedAt.value);
      if (val(f, 'coverageK') !== undefined) body.coverageK = val(f, 'coverageK');
      if (body.type === 'verification') {
        for (const k of ['stamp', 'verifier', 'verifierCard']) if (f.elements[k].value.trim()) body[k] = f.elements[k].value.trim();
        const seals = f.elements.seals.value.split(/[\s,;]+/).filter(Boolean);
        if (seals.length) body.seals = seals;
        if (f.elements.designation.value) body.designation = Number(f.elements.designation.value);
      }
      const url = `/instruments/${encodeURIComponent(inst.id)}/calibrations`;
      const r = supersedes
        ? (
            await api(`${url}/${encodeURIComponent(supersedes.certificate)}/supersede`, {
              method: 'POST',
              body: { ...body, reason: f.elements.reason.value.trim() },
            })
          ).record
        : await api(url, { method: 'POST', body });
      afterSave(done, !!supersedes);
      return t('form.calibrationDone', { c: r.certificate });
    },
  );
  return form;
}

/** Void a record with its reason (the issuing lab, or the authority). */
export function voidForm(inst, rec, done) {
  return shell(
    t('form.void', { c: rec.certificate }),
    'form-void',
    [field(t('form.reason'), el('input', { name: 'reason', required: true, maxlength: 1000 }))],
    t('form.voidSubmit'),
    async (f) => {
      const r = await api(`/instruments/${encodeURIComponent(inst.id)}/calibrations/${encodeURIComponent(rec.certificate)}/void`, {
        method: 'POST',
        body: { reason: f.elements.reason.value.trim() },
      });
      afterSave(done, true);
      return t('form.voidDone', { c: r.certificate });
    },
  );
}

const KINDS = ['scale', 'fuel_dispenser', 'env_station', 'taximeter', 'water_meter', 'other'];
export function completeForm(inst, done, edit = false) {
  const kind = el(
    'select',
    { name: 'kind' },
    ...KINDS.map((k) => {
      const o = el('option', { value: k }, t('kind.' + k));
      if (inst.kind === k) o.selected = true;
      return o;
    }),
  );
  return shell(
    edit ? t('form.edit') : t('form.complete'),
    edit ? 'form-edit' : 'form-complete',
    [
      edit ? null : el('p', { class: 'muted' }, t('form.completeHint')),
      field(t('col.kind'), kind),
      field(t('form.name'), el('input', { name: 'name', value: inst.name ?? '', maxlength: 200 })),
      field(t('col.serial'), el('input', { name: 'serial', value: inst.serial ?? '', maxlength: 100 })),
      field(t('col.site'), el('input', { name: 'site', value: inst.site ?? '', maxlength: 300 })),
      field(t('col.lab'), el('input', { name: 'lab', placeholder: 'ttkt-tdc' }), t('form.labHint')),
      // An interval is the regulation's, not the owner's (issue 15): admin only (data repair).
      state.me.role === 'admin' ? field(t('form.interval'), num('intervalDays', { required: false, pattern: '[0-9]+' })) : null,
    ].filter(Boolean),
    t('form.save'),
    async (f) => {
      const body = { kind: f.elements.kind.value };
      for (const k of ['name', 'serial', 'site', 'lab']) if (f.elements[k].value.trim()) body[k] = f.elements[k].value.trim();
      if (f.elements.intervalDays && val(f, 'intervalDays') !== undefined) body.intervalDays = val(f, 'intervalDays');
      await api(`/instruments/${encodeURIComponent(inst.id)}`, { method: 'PUT', body });
      // Drawn again, the page has no such form (completed) or keeps it folded (edit): the answer goes in a notice.
      afterSave(done, true);
      return t('form.saved');
    },
  );
}

/**
 * The authority hands a squatted instrument id to its real owner (POST …/reassign, issue 15
 * section 7): the current registration ends with a tombstone, the id starts again for the new
 * organisation, unregistered, with empty history. Asked to confirm first; the server's refusal
 * is shown in the interface's language.
 */
export function reassignForm(inst, done) {
  const list = el('datalist', { id: 'reassign-orgs' });
  api('/orgs')
    .then((r) => list.replaceChildren(...r.items.filter((o) => o.kind === 'enterprise' && o.id !== inst.org).map((o) => el('option', { value: o.id }, o.name))))
    .catch(() => {});
  return shell(
    t('form.reassign'),
    'form-reassign',
    [
      el('p', { class: 'muted' }, t('form.reassignHint')),
      field(t('form.reassignOrg'), el('input', { name: 'org', required: true, maxlength: 100, list: 'reassign-orgs', autocomplete: 'off' })),
      list,
    ],
    t('form.reassignSubmit'),
    async (f) => {
      const org = f.elements.org.value.trim();
      if (!window.confirm(t('form.reassignConfirm', { id: inst.id, from: inst.org, to: org }))) return t('form.reassignCancelled');
      const r = await api(`/instruments/${encodeURIComponent(inst.id)}/reassign`, { method: 'POST', body: { org } });
      afterSave(done, true);
      return t('form.reassignDone', { id: r.id, org: r.orgName ?? r.org });
    },
  );
}
