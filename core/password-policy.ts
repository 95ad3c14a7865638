import { ZxcvbnFactory, type ZxcvbnResult } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { MetronetError, type Texts2 } from './errors.js';

/**
 * The password rule (issue 16, item 10), the one check for every password a person chooses:
 * dashboard users (POST /users, PATCH /users/{id}, `metronet admin user add|passwd`) and the
 * MQTT passwords an operator sets by hand (`metronet admin gateway add|mqtt add --password`).
 * Passwords the service generates are random (≥ 72 bits) and not checked.
 *
 *   length              12 to 200 characters (NIST SP 800-63B 3.1.1.2 asks for at least 8 and
 *                       a check against known-bad passwords; OWASP ASVS 4.0 2.1.1 for 12)
 *   contains-user-name  the user name (login id) must not appear in it, compared without case,
 *                       accents or separators ("ngan-hang" is in "NganHang2025!")
 *   common              zxcvbn-ts with its common dictionaries (the 30 000 most common passwords,
 *                       the diceware word list, keyboard walks, repeats, sequences, dates, l33t)
 *                       must score at least 3 of 4: an estimated 10^8 guesses or more
 *
 * Worked example: "password1234" has 12 characters but is "password" plus a sequence, about
 * 10^4 guesses (score 1): refused as `common`. "can dien tu cho ca mau" (six short Vietnamese
 * words) is about 10^22 guesses (score 4): accepted, so passphrases pass.
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 200;
export const PASSWORD_MIN_SCORE = 3;

export type PasswordRule = 'length' | 'contains-user-name' | 'common';

/** Who the password is for: the user name (login id), and a display name whose words also count as guessable. */
export interface PasswordOwner {
  user: string;
  name?: string | null;
}

export interface PasswordProblem {
  rule: PasswordRule;
  /** Why, and what to do instead: never the password itself. */
  feedback: Texts2;
  score?: number;
}

// Built on first use: the dictionaries take ~60 ms to rank, and most processes never set a password.
let zxcvbn: ZxcvbnFactory | undefined;
const estimator = () => (zxcvbn ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs }));

/** Lower case, no accents, letters and digits only: "Ngân-Hàng" → "nganhang". */
const folded = (s: string) =>
  s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/gi, 'd')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');

/** What is wrong with a password, or undefined when it follows the rule. */
export function passwordProblem(password: string, owner: PasswordOwner): PasswordProblem | undefined {
  const n = [...password].length;
  if (n < PASSWORD_MIN_LENGTH || n > PASSWORD_MAX_LENGTH) {
    const short = n < PASSWORD_MIN_LENGTH;
    return {
      rule: 'length',
      feedback: short
        ? { en: `it needs at least ${PASSWORD_MIN_LENGTH} characters; it has ${n}`, vi: `cần ít nhất ${PASSWORD_MIN_LENGTH} ký tự; mật khẩu này có ${n}` }
        : { en: `it may have at most ${PASSWORD_MAX_LENGTH} characters`, vi: `tối đa ${PASSWORD_MAX_LENGTH} ký tự` },
    };
  }
  const user = folded(owner.user);
  if (user.length >= 3 && folded(password).includes(user)) return { rule: 'contains-user-name', feedback: NAME };
  const nameWords = (owner.name ?? '').split(/\s+/).filter((w) => w.length >= 3);
  const r: ZxcvbnResult = estimator().check(password, [owner.user, ...nameWords]);
  if (r.score >= PASSWORD_MIN_SCORE) return undefined;
  if (r.feedback.warning === 'userInputs') return { rule: 'contains-user-name', feedback: NAME, score: r.score };
  return { rule: 'common', feedback: commonFeedback(r), score: r.score };
}

/**
 * Throws E_WEAK_PASSWORD (400) naming the rule when the password breaks it; `field` is where the
 * password came from (`password`, `--password`). The message and details never carry the password.
 */
export function checkNewPassword(password: string, owner: PasswordOwner, field = 'password'): void {
  const p = passwordProblem(password, owner);
  if (!p) return;
  throw new MetronetError(
    'E_WEAK_PASSWORD',
    { en: `password refused (rule: ${p.rule}): ${p.feedback.en}`, vi: `mật khẩu bị từ chối (quy tắc: ${p.rule}): ${p.feedback.vi}` },
    {
      field,
      rule: p.rule,
      minLength: PASSWORD_MIN_LENGTH,
      ...(p.score !== undefined ? { score: p.score, minScore: PASSWORD_MIN_SCORE } : {}),
      feedback: p.feedback,
    },
  );
}

const NAME: Texts2 = { en: 'it must not contain the user name', vi: 'không được chứa tên đăng nhập' };

/** zxcvbn's warning and suggestions (its translation keys) in the two languages of the interface. */
function commonFeedback(r: ZxcvbnResult): Texts2 {
  const head: Texts2 = {
    en: `it is too easy to guess (strength ${r.score} of 4, at least ${PASSWORD_MIN_SCORE} needed)`,
    vi: `quá dễ đoán (độ mạnh ${r.score}/4, cần ít nhất ${PASSWORD_MIN_SCORE})`,
  };
  const parts = [r.feedback.warning ? WARNINGS[r.feedback.warning] : undefined, ...r.feedback.suggestions.map((s) => SUGGESTIONS[s])].filter(
    (t): t is Texts2 => t !== undefined,
  );
  return {
    en: [head.en, ...parts.map((t) => t.en)].join('; '),
    vi: [head.vi, ...parts.map((t) => t.vi)].join('; '),
  };
}

const WARNINGS: Record<string, Texts2> = {
  straightRow: { en: 'a row of keys on the keyboard', vi: 'một hàng phím liền nhau trên bàn phím' },
  keyPattern: { en: 'a short keyboard pattern', vi: 'một mẫu phím ngắn trên bàn phím' },
  simpleRepeat: { en: 'a repeated character such as "aaa"', vi: 'một ký tự lặp lại như "aaa"' },
  extendedRepeat: { en: 'a repeated pattern such as "abcabc"', vi: 'một chuỗi lặp lại như "abcabc"' },
  sequences: { en: 'a sequence such as "abc" or "1234"', vi: 'một dãy như "abc" hay "1234"' },
  recentYears: { en: 'a recent year', vi: 'một năm gần đây' },
  dates: { en: 'a date', vi: 'một ngày tháng' },
  topTen: { en: 'one of the ten most used passwords', vi: 'một trong mười mật khẩu phổ biến nhất' },
  topHundred: { en: 'one of the hundred most used passwords', vi: 'một trong một trăm mật khẩu phổ biến nhất' },
  common: { en: 'a commonly used password', vi: 'một mật khẩu phổ biến' },
  similarToCommon: { en: 'close to a commonly used password', vi: 'gần giống một mật khẩu phổ biến' },
  wordByItself: { en: 'a single word', vi: 'chỉ một từ' },
  namesByThemselves: { en: 'names alone', vi: 'chỉ có tên người' },
  commonNames: { en: 'common names', vi: 'tên người phổ biến' },
  pwned: { en: 'found in a data breach', vi: 'đã lộ trong một vụ rò rỉ dữ liệu' },
};

const SUGGESTIONS: Record<string, Texts2> = {
  l33t: { en: 'letters swapped for look-alike digits ("@" for "a") do not help', vi: 'thay chữ bằng ký tự giống nó ("@" cho "a") không giúp gì' },
  reverseWords: { en: 'a word spelled backwards does not help', vi: 'viết ngược một từ không giúp gì' },
  allUppercase: { en: 'capitalise some letters, not all', vi: 'viết hoa vài chữ, không phải tất cả' },
  capitalization: { en: 'capitalise more than the first letter', vi: 'viết hoa không chỉ chữ đầu' },
  dates: { en: 'avoid dates linked to you', vi: 'tránh ngày tháng liên quan đến bạn' },
  recentYears: { en: 'avoid recent years', vi: 'tránh các năm gần đây' },
  associatedYears: { en: 'avoid years linked to you', vi: 'tránh các năm liên quan đến bạn' },
  sequences: { en: 'avoid sequences', vi: 'tránh các dãy liên tiếp' },
  repeated: { en: 'avoid repeated words and characters', vi: 'tránh lặp từ và ký tự' },
  longerKeyboardPattern: { en: 'use longer keyboard patterns and change direction', vi: 'dùng mẫu phím dài hơn và đổi hướng' },
  anotherWord: { en: 'add more words that are less common', vi: 'thêm vài từ ít gặp hơn' },
  useWords: { en: 'use several words, but avoid common phrases', vi: 'dùng nhiều từ, nhưng tránh các cụm từ quen thuộc' },
  noNeed: { en: 'a few unrelated words make a strong password', vi: 'vài từ không liên quan nhau là một mật khẩu mạnh' },
  pwned: { en: 'choose a password you use nowhere else', vi: 'chọn mật khẩu bạn không dùng ở nơi khác' },
};
