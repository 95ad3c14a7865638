import { ID_PATTERN } from '../core/index.js';

/**
 * Request validation errors (fastify's ajv: keyword, params, instancePath) as sentences in the
 * caller's language, naming the field as a person reads it: `/results/0/U` with `minimum 0` is
 * "Kết quả 1 – độ không đảm bảo mở rộng U phải lớn hơn hoặc bằng 0." in Vietnamese and "Result 1 –
 * expanded uncertainty U must be at least 0." in English. A field this dictionary does not know is
 * written as its path (`results 1 – foo`), never left out.
 */
export type Lang = 'vi' | 'en';
type Words = Record<Lang, string>;

/** One ajv error as fastify hands it to the error handler (FastifySchemaValidationError). */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Field names of the API's bodies, queries and paths. */
const FIELDS: Record<string, Words> = {
  U: { vi: 'độ không đảm bảo mở rộng U', en: 'expanded uncertainty U' },
  k: { vi: 'hệ số phủ k', en: 'coverage factor k' },
  mpe: { vi: 'sai số lớn nhất cho phép', en: 'maximum permissible error' },
  nominal: { vi: 'giá trị danh định', en: 'nominal value' },
  asFound: { vi: 'sai số trước hiệu chỉnh', en: 'error as found' },
  asLeft: { vi: 'sai số sau hiệu chỉnh', en: 'error as left' },
  reference: { vi: 'chuẩn đo lường', en: 'reference standard' },
  referenceValue: { vi: 'giá trị chuẩn', en: 'reference value' },
  referenceU: { vi: 'độ không đảm bảo của giá trị chuẩn', en: 'uncertainty of the reference value' },
  indicated: { vi: 'số chỉ của phương tiện đo', en: 'indicated value' },
  value: { vi: 'giá trị', en: 'value' },
  channel: { vi: 'kênh đo', en: 'channel' },
  unit: { vi: 'đơn vị đo', en: 'unit' },
  ts: { vi: 'thời điểm', en: 'time' },
  date: { vi: 'ngày', en: 'date' },
  issuedAt: { vi: 'ngày cấp', en: 'date of issue' },
  calibratedOn: { vi: 'ngày hiệu chuẩn', en: 'calibration date' },
  due: { vi: 'hạn hiệu chuẩn', en: 'due date' },
  from: { vi: 'từ thời điểm', en: 'from' },
  to: { vi: 'đến thời điểm', en: 'to' },
  every: { vi: 'khoảng gộp', en: 'bucket width' },
  type: { vi: 'loại hồ sơ', en: 'record type' },
  certificate: { vi: 'số giấy chứng nhận', en: 'certificate number' },
  procedure: { vi: 'quy trình', en: 'procedure' },
  lab: { vi: 'tổ chức kiểm định', en: 'lab' },
  org: { vi: 'tổ chức', en: 'organisation' },
  intervalDays: { vi: 'chu kỳ kiểm định (ngày)', en: 'verification interval (days)' },
  intervalMonths: { vi: 'chu kỳ kiểm định (tháng)', en: 'verification interval (months)' },
  designation: { vi: 'quyết định chỉ định', en: 'designation' },
  stamp: { vi: 'số tem kiểm định', en: 'verification stamp number' },
  verifier: { vi: 'kiểm định viên', en: 'verifier' },
  verifierCard: { vi: 'số thẻ kiểm định viên', en: "verifier's card number" },
  place: { vi: 'nơi thực hiện', en: 'place' },
  customer: { vi: 'khách hàng', en: 'customer' },
  manufacturer: { vi: 'nhà sản xuất', en: 'manufacturer' },
  model: { vi: 'kiểu', en: 'model' },
  patternApproval: { vi: 'số phê duyệt mẫu', en: 'pattern approval number' },
  traceability: { vi: 'tuyên bố liên kết chuẩn', en: 'traceability statement' },
  // Inspections (dashboard/routes/inspections.ts).
  title: { vi: 'tên đợt kiểm tra', en: 'title' },
  subject: { vi: 'đối tượng kiểm tra', en: 'subject of inspection' },
  periodFrom: { vi: 'ngày bắt đầu', en: 'start date' },
  periodTo: { vi: 'ngày kết thúc', en: 'end date' },
  team: { vi: 'đoàn kiểm tra', en: 'inspection team' },
  inspector: { vi: 'kiểm tra viên', en: 'inspector' },
  visitedAt: { vi: 'ngày kiểm tra', en: 'date of the visit' },
  inspected: { vi: 'nội dung đã kiểm tra', en: 'what was inspected' },
  findings: { vi: 'kết quả kiểm tra', en: 'findings' },
  violations: { vi: 'vi phạm', en: 'violation' },
  outcome: { vi: 'kết luận', en: 'outcome' },
  followUp: { vi: 'yêu cầu khắc phục', en: 'follow-up' },
  followUpDue: { vi: 'thời hạn khắc phục', en: 'follow-up due date' },
  supersedes: { vi: 'biên bản được thay thế', en: 'record superseded' },
  data: { vi: 'nội dung tệp', en: 'file content' },
  coverageK: { vi: 'hệ số phủ k', en: 'coverage factor k' },
  coverageProbability: { vi: 'xác suất phủ', en: 'coverage probability' },
  signatory: { vi: 'người ký', en: 'signatory' },
  authorisedBy: { vi: 'người phê duyệt', en: 'authorised by' },
  statement: { vi: 'kết luận', en: 'statement' },
  decisionRule: { vi: 'quy tắc quyết định', en: 'decision rule' },
  reason: { vi: 'lý do', en: 'reason' },
  kind: { vi: 'loại phương tiện đo', en: 'kind' },
  name: { vi: 'tên', en: 'name' },
  serial: { vi: 'số sản xuất', en: 'serial number' },
  site: { vi: 'nơi đặt', en: 'site' },
  province: { vi: 'mã tỉnh', en: 'province code' },
  commune: { vi: 'mã xã, phường', en: 'commune code' },
  quantity: { vi: 'đại lượng', en: 'quantity' },
  class: { vi: 'cấp chính xác', en: 'accuracy class' },
  parent: { vi: 'chuẩn cấp trên', en: 'parent standard' },
  issuer: { vi: 'nơi cấp', en: 'issuer' },
  id: { vi: 'mã', en: 'id' },
  limit: { vi: 'số dòng tối đa', en: 'row limit' },
  offset: { vi: 'vị trí bắt đầu', en: 'offset' },
  q: { vi: 'từ khoá tìm kiếm', en: 'search text' },
  state: { vi: 'trạng thái', en: 'state' },
  severity: { vi: 'mức độ', en: 'severity' },
  instrument: { vi: 'phương tiện đo', en: 'instrument' },
  ids: { vi: 'danh sách mã', en: 'id list' },
  idempotencyKey: { vi: 'khoá chống gửi lặp', en: 'idempotency key' },
  username: { vi: 'tên đăng nhập', en: 'user name' },
  password: { vi: 'mật khẩu', en: 'password' },
  url: { vi: 'địa chỉ', en: 'address' },
  secret: { vi: 'khoá bí mật', en: 'secret' },
  tolerance: { vi: 'dung sai', en: 'tolerance' },
  repeatability: { vi: 'độ lặp lại', en: 'repeatability' },
  e: { vi: 'giá trị độ chia kiểm e', en: 'verification scale interval e' },
  max: { vi: 'mức cân lớn nhất Max', en: 'maximum capacity Max' },
  min: { vi: 'mức cân nhỏ nhất Min', en: 'minimum capacity Min' },
};

/** Lists whose items are numbered ("Kết quả 1"): the item's name. */
const ITEMS: Record<string, Words> = {
  results: { vi: 'Kết quả', en: 'Result' },
  checks: { vi: 'Lần kiểm tra', en: 'Check' },
  references: { vi: 'Chuẩn', en: 'Standard' },
  seals: { vi: 'Kẹp chì', en: 'Seal' },
  kinds: { vi: 'Loại', en: 'Kind' },
  ranges: { vi: 'Phạm vi cân', en: 'Range' },
};

/** Where the value came from, for an error on the whole part. */
const PARTS: Record<string, Words> = {
  body: { vi: 'Nội dung yêu cầu', en: 'The request body' },
  querystring: { vi: 'Tham số truy vấn', en: 'The query' },
  params: { vi: 'Đường dẫn', en: 'The path' },
  headers: { vi: 'Tiêu đề yêu cầu', en: 'The request headers' },
};

const TYPES: Record<string, Words> = {
  integer: { vi: 'một số nguyên', en: 'a whole number' },
  number: { vi: 'một số', en: 'a number' },
  string: { vi: 'chữ', en: 'text' },
  boolean: { vi: 'đúng hoặc sai (true/false)', en: 'true or false' },
  array: { vi: 'một danh sách', en: 'a list' },
  object: { vi: 'một nhóm trường (đối tượng JSON)', en: 'an object' },
  null: { vi: 'để trống (null)', en: 'empty (null)' },
};

/** The patterns the API uses, in words; any other is "not in the expected form". */
const PATTERNS: Record<string, Words> = {
  [ID_PATTERN]: {
    vi: 'chỉ được gồm chữ cái không dấu, chữ số và các dấu . _ -, bắt đầu bằng chữ cái hoặc chữ số, tối đa 64 ký tự',
    en: 'may hold only letters without accents, digits and . _ -, start with a letter or digit, at most 64 characters',
  },
  '^[0-9]{2}$': { vi: 'phải gồm đúng 2 chữ số', en: 'must be exactly 2 digits' },
  '^[0-9]{5}$': { vi: 'phải gồm đúng 5 chữ số', en: 'must be exactly 5 digits' },
  '^https?://': { vi: 'phải bắt đầu bằng http:// hoặc https://', en: 'must start with http:// or https://' },
};

const num = (v: unknown, lang: Lang) =>
  typeof v === 'number' ? new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: 10 }).format(v) : String(v);

/** The path's segments; a missing or extra property is named as a segment of its object. */
function segmentsOf(e: SchemaError): string[] {
  const segs = e.instancePath
    .split('/')
    .filter(Boolean)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.keyword === 'required' && typeof e.params.missingProperty === 'string') segs.push(e.params.missingProperty);
  if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string') segs.push(e.params.additionalProperty);
  return segs;
}

/**
 * A field's name from its path: a numbered list item is "<item> n" (1-based), a known name is
 * translated, an unknown one kept as written; parts joined by " – ". Empty for the whole part.
 */
export function fieldLabel(segs: string[], lang: Lang): string {
  const parts: string[] = [];
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    const next = segs[i + 1];
    if (next !== undefined && /^\d+$/.test(next)) {
      const item = ITEMS[s];
      parts.push(`${item ? item[lang] : s} ${Number(next) + 1}`);
      i++;
    } else if (/^\d+$/.test(s)) parts.push(String(Number(s) + 1));
    else parts.push(FIELDS[s]?.[lang] ?? s);
  }
  return parts.join(' – ');
}

/** The rule broken, in words, to follow the field's name. */
function ruleText(e: SchemaError, lang: Lang): string {
  const p = e.params;
  const vi = lang === 'vi';
  const n = (v: unknown) => num(v, lang);
  switch (e.keyword) {
    case 'minimum':
      return vi ? `phải lớn hơn hoặc bằng ${n(p.limit)}` : `must be at least ${n(p.limit)}`;
    case 'exclusiveMinimum':
      return vi ? `phải lớn hơn ${n(p.limit)}` : `must be greater than ${n(p.limit)}`;
    case 'maximum':
      return vi ? `phải nhỏ hơn hoặc bằng ${n(p.limit)}` : `must be at most ${n(p.limit)}`;
    case 'exclusiveMaximum':
      return vi ? `phải nhỏ hơn ${n(p.limit)}` : `must be less than ${n(p.limit)}`;
    case 'multipleOf':
      return vi ? `phải là bội số của ${n(p.multipleOf)}` : `must be a multiple of ${n(p.multipleOf)}`;
    case 'type': {
      const types = String(p.type ?? '')
        .split(',')
        .map((x) => TYPES[x]?.[lang] ?? x);
      return `${vi ? 'phải là' : 'must be'} ${types.join(vi ? ' hoặc ' : ' or ')}`;
    }
    case 'required':
      return vi ? 'là bắt buộc nhưng còn thiếu' : 'is required but missing';
    case 'additionalProperties':
      return vi ? 'không phải là một trường được phép ở đây' : 'is not a field allowed here';
    case 'pattern':
      return PATTERNS[String(p.pattern)]?.[lang] ?? (vi ? 'không đúng dạng quy định' : 'is not in the expected form');
    case 'format':
      return vi ? `không đúng định dạng ${String(p.format)}` : `is not a valid ${String(p.format)}`;
    case 'enum': {
      const allowed = Array.isArray(p.allowedValues) ? p.allowedValues.map(String).join(', ') : '';
      return vi ? `phải là một trong các giá trị: ${allowed}` : `must be one of: ${allowed}`;
    }
    case 'const':
      return vi ? `phải bằng ${String(p.allowedValue)}` : `must be ${String(p.allowedValue)}`;
    case 'maxLength':
      return vi ? `không được dài quá ${n(p.limit)} ký tự` : `must be at most ${n(p.limit)} characters long`;
    case 'minLength':
      return p.limit === 1
        ? vi
          ? 'không được để trống'
          : 'must not be empty'
        : vi
          ? `phải có ít nhất ${n(p.limit)} ký tự`
          : `must be at least ${n(p.limit)} characters long`;
    case 'minItems':
      return vi ? `phải có ít nhất ${n(p.limit)} mục` : `must have at least ${n(p.limit)} ${p.limit === 1 ? 'item' : 'items'}`;
    case 'maxItems':
      return vi ? `không được có quá ${n(p.limit)} mục` : `must have at most ${n(p.limit)} items`;
    case 'uniqueItems':
      return vi ? 'không được có mục trùng nhau' : 'must not repeat an item';
    case 'maxProperties':
      return vi ? `không được có quá ${n(p.limit)} trường` : `must have at most ${n(p.limit)} fields`;
    default:
      return vi ? 'không hợp lệ' : 'is not valid';
  }
}

const capitalise = (s: string) => s.charAt(0).toLocaleUpperCase() + s.slice(1);

/**
 * One validation error as a sentence: field, rule, full stop. `context` is fastify's
 * validationContext (body, querystring, params, headers): it names the whole part when the
 * error is on it, not on one field.
 */
export function validationSentence(e: SchemaError, context: string | undefined, lang: Lang): string {
  const field = fieldLabel(segmentsOf(e), lang);
  const subject = field || (PARTS[context ?? 'body'] ?? PARTS.body!)[lang];
  return `${capitalise(subject)} ${ruleText(e, lang)}.`;
}

/** The message of a refused request: each error's sentence, in the caller's language. */
export function validationMessage(errors: readonly SchemaError[], context: string | undefined, lang: Lang): string {
  return [...new Set(meaningful(errors).map((e) => validationSentence(e, context, lang)))].join(' ');
}

/**
 * A nullable field (`Opt`: anyOf [number, null]) that breaks its number rule comes with three
 * errors: the rule, "must be null" and "must match a schema in anyOf". Only the first says
 * something to a person; the other two are kept when nothing else is said of that field.
 */
function meaningful(errors: readonly SchemaError[]): SchemaError[] {
  const said = (e: SchemaError) => !(e.keyword === 'type' && e.params.type === 'null') && e.keyword !== 'anyOf' && e.keyword !== 'oneOf';
  const kept = errors.filter((e) => said(e) || !errors.some((o) => o !== e && said(o) && o.instancePath === e.instancePath));
  return kept.length > 0 ? kept : [...errors];
}

/** fastify's own refusals of a body, before any schema, in Vietnamese (in English, fastify's words are kept). */
const FRAMEWORK_VI: Record<string, string> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Nội dung yêu cầu trống nhưng khai báo là JSON.',
  FST_ERR_CTP_INVALID_JSON_BODY: 'Nội dung yêu cầu không phải JSON hợp lệ.',
  FST_ERR_CTP_BODY_TOO_LARGE: 'Nội dung yêu cầu quá lớn.',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Độ dài nội dung yêu cầu không khớp với Content-Length.',
};
export function frameworkMessage(code: string | undefined, lang: Lang): string | undefined {
  return lang === 'vi' && code ? FRAMEWORK_VI[code] : undefined;
}
