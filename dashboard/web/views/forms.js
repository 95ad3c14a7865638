// Forms (issue 7): record a check, record a calibration or verification, complete an
// unregistered instrument. Each posts to the API and shows its answer or its error in words.
import { api, el, t, channelLabel, channelRank, isoDay, state } from '../lib.js';

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
    const v = input.value.trim();
    const rule =
      input.required && v === ''
        ? 'required'
        : v !== '' && input.dataset.num === 'integer' && !/^[0-9]+$/.test(v)
          ? 'integer'
          : v !== '' && input.dataset.num === 'decimal' && !/^-?[0-9]+([.,][0-9]+)?$/.test(v)
            ? 'number'
            : null;
    if (rule) return { input, rule };
  }
  return null;
}

function shell(title, id, fields, submit, onSubmit) {
  const msg = el('p', { class: 'form-msg', role: 'status', 'aria-live': 'polite' });
  const form = el(
    'form',
    { class: 'card form', id, novalidate: true, 'aria-labelledby': `${id}-h` },
    el('h2', { id: `${id}-h` }, title),
    ...fields,
    el('button', { type: 'submit' }, submit),
    msg,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.className = 'form-msg';
    const bad = invalidField(form);
    if (bad) {
      bad.input.setAttribute('aria-invalid', 'true');
      bad.input.focus();
      msg.textContent = t('form.invalid', {
        field: bad.input.closest('label')?.querySelector('span')?.textContent ?? bad.input.name,
        rule: t('form.rule.' + bad.rule),
      });
      msg.classList.add('error');
      msg.dataset.invalid = bad.input.name;
      return;
    }
    delete msg.dataset.invalid;
    msg.textContent = t('form.sending');
    try {
      msg.textContent = await onSubmit(form);
      msg.classList.add('ok');
    } catch (err) {
      msg.textContent = `${t('form.failed')}: ${err.message}`;
      msg.classList.add('error');
    }
  });
  return form;
}

export function checkForm(inst, done) {
  const refs = el('input', { name: 'reference', list: 'ref-list', autocomplete: 'off' });
  const dl = el('datalist', { id: 'ref-list' });
  if (state.me.role === 'lab')
    api('/references')
      .then((r) => dl.append(...r.items.map((x) => el('option', { value: x.id }, `${x.id} · ${x.class ?? ''} ${x.nominal} ${x.unit}`))))
      .catch(() => {});
  const now = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 16);
  return shell(
    t('form.check'),
    'form-check',
    [
      field(t('col.channel'), channelSelect(inst)),
      field(t('col.time'), el('input', { name: 'ts', type: 'datetime-local', value: now, required: true })),
      field(t('form.reference'), refs, t('form.referenceHint')),
      dl,
      field(t('form.referenceValue'), num('referenceValue', { required: false }), t('form.referenceValueHint')),
      field(t('col.indicated'), num('indicated')),
    ],
    t('form.checkSubmit'),
    async (f) => {
      const ts = new Date(`${f.elements.ts.value}:00+07:00`).getTime();
      const check = { channel: f.elements.channel.value, ts, indicated: val(f, 'indicated') };
      if (f.elements.reference.value) check.reference = f.elements.reference.value.trim();
      if (val(f, 'referenceValue') !== undefined) check.referenceValue = val(f, 'referenceValue');
      const r = await api(`/instruments/${encodeURIComponent(inst.id)}/checks`, { method: 'POST', body: { checks: [check] } });
      if (r.rejects.length) throw new Error(r.rejects.map((x) => x.message).join('; '));
      setTimeout(done, 800);
      return t('form.checkDone', { e: r.checks[0]?.error ?? '–', a: r.alerts.length });
    },
  );
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

export function calibrationForm(inst, drift, done) {
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
  return shell(
    t('form.calibration'),
    'form-cal',
    [
      field(
        t('col.type'),
        el(
          'select',
          { name: 'type' },
          el('option', { value: 'verification' }, t('caltype.verification')),
          el('option', { value: 'calibration' }, t('caltype.calibration')),
        ),
      ),
      field(t('col.date'), el('input', { name: 'date', type: 'date', value: isoDay(Date.now()), required: true })),
      field(t('col.certificate'), el('input', { name: 'certificate', required: true, maxlength: 100 })),
      field(t('form.procedure'), el('input', { name: 'procedure', placeholder: 'ĐLVN 10:2017' })),
      field(t('col.channel'), ch),
      points,
      addPoint,
      field(t('form.references'), el('input', { name: 'references', placeholder: 'REF-M1-20KG' }), t('form.referencesHint')),
      field(t('col.authorisedBy'), el('input', { name: 'authorisedBy', required: true })),
      field(t('form.interval'), num('intervalDays', { required: false, pattern: '[0-9]+' })),
    ],
    t('form.calibrationSubmit'),
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
        date: new Date(`${f.elements.date.value}T09:00:00+07:00`).getTime(),
        certificate: f.elements.certificate.value.trim(),
        results,
        references: f.elements.references.value.split(/[\s,;]+/).filter(Boolean),
        authorisedBy: f.elements.authorisedBy.value.trim(),
      };
      if (f.elements.procedure.value) body.procedure = f.elements.procedure.value.trim();
      if (val(f, 'intervalDays') !== undefined) body.intervalDays = val(f, 'intervalDays');
      if (drift.lab) body.lab = drift.lab;
      const r = await api(`/instruments/${encodeURIComponent(inst.id)}/calibrations`, { method: 'POST', body });
      setTimeout(done, 800);
      return t('form.calibrationDone', { c: r.certificate ?? body.certificate });
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
      field(t('form.interval'), num('intervalDays', { required: false, pattern: '[0-9]+' })),
    ].filter(Boolean),
    t('form.save'),
    async (f) => {
      const body = { kind: f.elements.kind.value };
      for (const k of ['name', 'serial', 'site', 'lab']) if (f.elements[k].value.trim()) body[k] = f.elements[k].value.trim();
      if (val(f, 'intervalDays') !== undefined) body.intervalDays = val(f, 'intervalDays');
      await api(`/instruments/${encodeURIComponent(inst.id)}`, { method: 'PUT', body });
      setTimeout(done, 800);
      return t('form.saved');
    },
  );
}
