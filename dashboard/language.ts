/** The interface language a request asks for: `vi` when Accept-Language prefers Vietnamese, else `en`. */
export function languageOf(req: { headers: Record<string, string | string[] | undefined> }): 'vi' | 'en' {
  const h = req.headers['accept-language'];
  const first = (Array.isArray(h) ? h[0] : h)?.split(',')[0]?.trim().toLowerCase() ?? '';
  return first.startsWith('vi') ? 'vi' : 'en';
}
