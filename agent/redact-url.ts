/** A URL as the log may show it: no user, password or query, which may carry credentials or tokens. */
export function redactUrl(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  u.search = '';
  return u.toString();
}
