/**
 * What the demo does as a lab's LIMS would: plain HTTP against the public API (fetch, JSON), nothing
 * else. The shapes are the parts of the API's responses the demo reads.
 */
export interface DatasetResponse { id: string; count: number; height: number; width: number; noiseSigma: number | null }
export interface ExperimentResponse { id: string; status: string; runCount: number }
export interface RunResponse {
  id: string; status: string; progress: number; penalty: string; lambda: number; error: string | null;
  psnrMmse: number | null; psnrSamples: number | null; ssim: number | null;
}
export interface CompareResponse {
  rows: { group: string; x: number; value: number | null }[];
  baselines: { method: string; value: number | null }[];
}

export class ApiRequestError extends Error {}

export class LimsClient {
  /** `apiKey`: sent as `Authorization: Bearer <key>` on every call (the services' /v1 routes need one). */
  constructor(readonly baseUrl: string, private readonly apiKey?: string) {}

  async send<T>(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const auth: Record<string, string> = this.apiKey === undefined ? {} : { authorization: `Bearer ${this.apiKey}` };
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? { ...auth, ...headers } : { 'content-type': 'application/json', ...auth, ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new ApiRequestError(`${method} ${path} → ${response.status}: ${text.slice(0, 500)}`);
    return (response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
  }

  /** True once GET /readyz answers 200 (Postgres, Redis and the blob store reachable). */
  async ready(): Promise<boolean> {
    try {
      return (await fetch(`${this.baseUrl}/readyz`)).ok;
    } catch {
      return false;
    }
  }
}
