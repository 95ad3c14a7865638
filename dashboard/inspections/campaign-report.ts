import { getCommune } from '../../core/index.js';
import { violation } from '../../core/legal/violations.js';
import type { Campaign, CampaignSubject, InspectionStore, Registry, VisitOutcome } from '../../store/index.js';
import { type FormCell, type FormColumn, type OfficialForm, sumInts, type Texts, tx } from '../reports/form.js';

const col = (key: string, vi: string, en: string, type: FormColumn['type'], extra: Partial<FormColumn> = {}): FormColumn => ({
  key,
  title: tx(vi, en),
  type,
  ...extra,
});

export const SUBJECT_TEXT: Record<CampaignSubject, Texts> = {
  fuel_retail: tx('Kinh doanh xăng dầu', 'Fuel retail'),
  prepackaged: tx('Hàng đóng gói sẵn', 'Prepackaged goods'),
  market_scales: tx('Cân tại chợ', 'Market scales'),
};
export const OUTCOME_TEXT: Record<VisitOutcome, Texts> = {
  compliant: tx('Không phát hiện vi phạm', 'No violation found'),
  violations: tx('Có vi phạm', 'Violations found'),
  not_inspected: tx('Không kiểm tra được', 'Could not be inspected'),
};

/**
 * A campaign's progress, one definition for the API, the web page and the report: visits
 * assigned; done (a signed record in force); visits with violations; violations found; follow-ups
 * still open (a follow-up set on a violation of a record in force).
 */
export function campaignProgress(store: InspectionStore, campaign: number) {
  const visits = store.listVisits({ campaign }).length;
  const records = store.validRecordsOfCampaign(campaign);
  const violations = records.flatMap((r) => r.violations);
  return {
    visits,
    done: records.length,
    withViolations: records.filter((r) => r.violations.length > 0).length,
    violations: violations.length,
    followUpsOpen: violations.filter((v) => v.followUp !== null).length,
  };
}

/** The campaign report in official form (CSV, XLSX, PDF by dashboard/reports/render.ts): visits, violations by kind, follow-ups. */
export function campaignReport(registry: Registry, c: Campaign, now: number): OfficialForm {
  const store = registry.inspections;
  const orgName = (id: string) => registry.getOrg(id)?.name ?? id;
  const userName = (id: string) => registry.identity.getUser(id)?.name ?? id;
  const visits = store.listVisits({ campaign: c.id });
  const records = new Map(store.validRecordsOfCampaign(c.id).map((r) => [r.visit, r]));

  const visitCols = [
    col('org', 'Cơ sở được kiểm tra', 'Subject', 'text', { width: 2 }),
    col('site', 'Địa điểm', 'Site', 'text', { width: 2 }),
    col('commune', 'Xã, phường', 'Commune or ward', 'text', { width: 1.5 }),
    col('inspector', 'Kiểm tra viên', 'Inspector', 'text', { width: 1.5 }),
    col('visited', 'Ngày kiểm tra', 'Visited on', 'date'),
    col('outcome', 'Kết luận', 'Outcome', 'text', { width: 1.5 }),
    col('violations', 'Số vi phạm', 'Violations', 'int'),
  ];
  const visitRows: FormCell[][] = visits.map((v) => {
    const r = records.get(v.id);
    return [
      orgName(v.org),
      v.site,
      v.commune ? (getCommune(v.commune)?.name ?? v.commune) : null,
      userName(v.inspector),
      r?.visitedAt ?? null,
      r ? OUTCOME_TEXT[r.outcome] : tx('Chưa kiểm tra', 'Not yet visited'),
      r?.violations.length ?? 0,
    ];
  });

  const byCode = new Map<string, number>();
  for (const r of records.values()) for (const v of r.violations) byCode.set(v.code, (byCode.get(v.code) ?? 0) + 1);
  const kindCols = [
    col('violation', 'Hành vi vi phạm', 'Violation', 'text', { width: 3 }),
    col('basis', 'Căn cứ pháp lý', 'Legal basis', 'text', { width: 3 }),
    col('count', 'Số lượt', 'Count', 'int'),
  ];
  const kindRows: FormCell[][] = [...byCode].map(([code, n]) => {
    const v = violation(code);
    const basis = v ? legalBasis(v.rule) : code;
    return [v ? tx(v.titleVi, v.titleEn) : code, basis, n];
  });

  const followCols = [
    col('org', 'Cơ sở', 'Subject', 'text', { width: 2 }),
    col('violation', 'Hành vi vi phạm', 'Violation', 'text', { width: 2 }),
    col('followUp', 'Yêu cầu khắc phục', 'Follow-up required', 'text', { width: 3 }),
    col('due', 'Thời hạn', 'Due', 'date'),
  ];
  const followRows: FormCell[][] = [];
  for (const v of visits) {
    for (const x of records.get(v.id)?.violations ?? []) {
      if (x.followUp === null) continue;
      const entry = violation(x.code);
      followRows.push([orgName(v.org), entry ? tx(entry.titleVi, entry.titleEn) : x.code, x.followUp, x.followUpDue]);
    }
  }

  const p = campaignProgress(store, c.id);
  return {
    name: 'campaign',
    title: tx(`BÁO CÁO KẾT QUẢ KIỂM TRA NHÀ NƯỚC VỀ ĐO LƯỜNG: ${c.title.toUpperCase()}`, `STATE METROLOGICAL INSPECTION REPORT: ${c.title}`),
    period: { asOf: now },
    sections: [
      {
        title: tx('I. Các cuộc kiểm tra', 'I. Visits'),
        sheet: tx('Cuộc kiểm tra', 'Visits'),
        columns: visitCols,
        rows: visitRows,
        totals: sumInts(visitCols, visitRows),
      },
      {
        title: tx('II. Vi phạm theo hành vi', 'II. Violations by kind'),
        sheet: tx('Vi phạm', 'Violations'),
        columns: kindCols,
        rows: kindRows,
        totals: sumInts(kindCols, kindRows),
      },
      { title: tx('III. Yêu cầu khắc phục', 'III. Follow-ups'), sheet: tx('Khắc phục', 'Follow-ups'), columns: followCols, rows: followRows },
    ],
    notes: [
      tx(
        `Đối tượng: ${SUBJECT_TEXT[c.subject].vi}. Đã kiểm tra ${p.done}/${p.visits} cơ sở; ${p.withViolations} cơ sở có vi phạm, tổng ${p.violations} lượt vi phạm.`,
        `Subject: ${SUBJECT_TEXT[c.subject].en}. ${p.done} of ${p.visits} subjects visited; ${p.withViolations} with violations, ${p.violations} violations in all.`,
      ),
      tx(
        'Căn cứ pháp lý của từng hành vi theo danh mục vi phạm của hệ thống (docs/inspections.md).',
        'The legal basis of each violation is from the catalogue of violations (docs/inspections.md).',
      ),
    ],
  };
}

/** "Decree 119/2017/NĐ-CP, Điều 6 khoản 2 điểm a" / "…, Art. 6(2)(a)". */
function legalBasis(r: { document: string; article: string | null; clause: string | null; point: string | null }): Texts {
  const vi = [r.article && `Điều ${r.article}`, r.clause && `khoản ${r.clause}`, r.point && `điểm ${r.point}`].filter(Boolean).join(' ');
  const en = r.article ? `Art. ${r.article}${r.clause ? `(${r.clause})` : ''}${r.point ? `(${r.point})` : ''}` : '';
  return tx(vi ? `${r.document}, ${vi}` : r.document, en ? `${r.document}, ${en}` : r.document);
}
