/**
 * One message for a failed schema validation. Ajv reports a value outside a union of literals
 * (penalty, method…) as one "must be equal to constant" per literal plus an anyOf line; say
 * instead which values are allowed, e.g. "body/spec/penalty must be one of none, l1, l2,
 * positivity, positivity_l1"; an unknown field or query parameter is named.
 */
interface AjvIssue { instancePath?: string; keyword: string; params?: Record<string, unknown>; message?: string }

export function validationMessage(error: { message: string; validation?: unknown; validationContext?: string }): string {
  const issues = (error.validation ?? []) as AjvIssue[];
  const byPath = new Map<string, AjvIssue[]>();
  for (const issue of issues) byPath.set(issue.instancePath ?? '', [...(byPath.get(issue.instancePath ?? '') ?? []), issue]);
  const parts: string[] = [];
  for (const [path, group] of byPath) {
    const allowed = group.filter((i) => i.keyword === 'const').map((i) => String(i.params?.allowedValue));
    const where = `${error.validationContext ?? 'body'}${path}`;
    if (allowed.length > 0 && group.every((i) => i.keyword === 'const' || i.keyword === 'anyOf')) {
      parts.push(`${where} must be one of ${allowed.join(', ')}`);
      continue;
    }
    for (const issue of group.filter((i) => i.keyword !== 'anyOf')) {
      if (issue.keyword === 'additionalProperties') {
        const name = String(issue.params?.additionalProperty);
        parts.push(error.validationContext === 'querystring'
          ? `unknown query parameter "${name}"` : `${where} has an unknown field "${name}"`);
      } else {
        parts.push(`${where} ${issue.message ?? 'is invalid'}`);
      }
    }
  }
  return parts.length > 0 ? parts.join('; ') : error.message;
}
