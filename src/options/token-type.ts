/**
 * The media type a `typ` header value stands for (RFC 7515 §4.1.9): `at+jwt` and `application/at+jwt` are one
 * value, and media types compare case-insensitively (RFC 2045 §5.1).
 */
export function typMediaType(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.includes('/') ? lower : `application/${lower}`;
}
